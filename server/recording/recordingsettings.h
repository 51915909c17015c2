#pragma once

// RecordingSettings: whether and how a console is recorded as asciicast v2 files (record = on),
// where they go, when a file is rotated and how many are kept. Plain data, kept by
// ConsoleSettings; the defaults here are the declared ones (settingtable.cpp reads them).

#include <QString>

#include <chrono>

namespace CloudConsole {

struct RecordingSettings
{
    bool enabled = false; // record = on
    QString dir; // record-dir; empty: the folder of the console's log file
    bool input = false; // record-input = on: clients' input as "i" events, attributed
    // record-input-viewers = on: viewers see the recorded input too (share links' visitors never)
    bool inputForViewers = false;
    qint64 rotateSize = 64 * 1024 * 1024; // a new file past this many bytes; 0: never
    std::chrono::seconds rotateAge {24 * 3600}; // a new file once one is this old; 0: never
    qint64 keepSize = 1024 * 1024 * 1024; // the console's files together; 0: no limit
    std::chrono::seconds keepAge {30 * 24 * 3600}; // files older go; 0: no limit

    bool operator==(const RecordingSettings &other) const
    {
        return enabled == other.enabled && dir == other.dir && input == other.input
            && inputForViewers == other.inputForViewers && rotateSize == other.rotateSize
            && rotateAge == other.rotateAge && keepSize == other.keepSize
            && keepAge == other.keepAge;
    }
    bool operator!=(const RecordingSettings &other) const { return !(*this == other); }
};

} // namespace CloudConsole
