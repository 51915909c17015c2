#pragma once

// How a console is shared by the people attached to it: who may type (input = shared or
// exclusive, and how long an idle holder keeps the keyboard), and how a paste reaches the
// console (its pace, a pause after each line, waiting for each line's echo, its largest size).
// Plain data, filled by the configuration file and the command line (server/settings/), applied
// by Keyboard and PasteFeeder.

#include <QtGlobal>

#include <chrono>

namespace CloudConsole {

struct SharingSettings
{
    enum class Input { Shared, Exclusive };
    enum class PasteMode { Paced, Echo };
    // paste-rate's "auto": unlimited for a program the server runs (exec:), SafePasteRate for
    // a guest's console, whose UART or firmware may drop what comes faster.
    static constexpr int AutoPasteRate = -1;
    static constexpr int SafePasteRate = 1000; // characters per second
    // How long echo mode waits for a line's echo before it sends the next line anyway.
    static constexpr std::chrono::milliseconds EchoTimeout {2000};
    static constexpr qint64 MaxPasteMax = 64 * 1024 * 1024;

    Input input = Input::Shared;
    // An exclusive console's holder who types nothing for this long loses the keyboard; 0: never.
    std::chrono::seconds controlIdle {600};
    int pasteRate = AutoPasteRate; // characters per second; 0: unlimited
    std::chrono::milliseconds pasteLineDelay {0}; // after each line of a paste
    PasteMode pasteMode = PasteMode::Paced;
    qint64 pasteMax = 1024 * 1024; // bytes; larger pastes are refused

    // The rate for a console whose source is (or is not) a program the server runs.
    int effectivePasteRate(bool execSource) const
    {
        if (pasteRate != AutoPasteRate)
            return pasteRate;
        return execSource ? 0 : SafePasteRate;
    }

    bool operator==(const SharingSettings &other) const
    {
        return input == other.input && controlIdle == other.controlIdle
            && pasteRate == other.pasteRate && pasteLineDelay == other.pasteLineDelay
            && pasteMode == other.pasteMode && pasteMax == other.pasteMax;
    }
};

} // namespace CloudConsole
