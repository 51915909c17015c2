#pragma once

// DiskFiller fills the small file system the log lives on with a ballast file, and keeps it full
// (topping up whatever a deleted log frees) until released. It owns the ballast; it knows
// nothing about the log.

#include <QString>

namespace Soak {

class DiskFiller
{
public:
    explicit DiskFiller(QString directory);
    ~DiskFiller();

    // Writes until the file system is full; returns the bytes the ballast holds.
    qint64 fill();
    void release();
    bool isFull() const { return m_fd >= 0; }

private:
    QString m_path;
    int m_fd = -1;
    qint64 m_bytes = 0;
};

} // namespace Soak
