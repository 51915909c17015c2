#pragma once

// VTermRepeatProbe counts the REP sequences (CSI Pn b, no leader, no intermediates) that
// libvterm's own parser finds in a byte stream. It is the oracle for VTermInputGuard, which must
// cancel every REP before libvterm sees it (libvterm 0.1.4 loops for ever on some): the guard's
// output is fed to a probe, and any REP counted is one that slipped past. The probe is a bare
// libvterm parser, with no state or screen behind it, so it never loops itself. Used by
// fuzz_terminal and tst_vterminputguard; not part of the product.

#include <QByteArray>

#include <vterm.h>

#include <memory>

class VTermRepeatProbe
{
public:
    VTermRepeatProbe() : m_vterm(vterm_new(5, 20))
    {
        vterm_set_utf8(m_vterm.get(), 1);
        vterm_parser_set_callbacks(m_vterm.get(), &callbacks, this);
    }

    void write(const char *data, size_t size)
    {
        // A NUL-terminated copy, as TerminalModel gives libvterm: libvterm 0.1.4 reads past the
        // end of an OSC or DCS string with strncpy.
        const QByteArray copy(data, qsizetype(size));
        vterm_input_write(m_vterm.get(), copy.constData(), size);
    }
    int repeats() const { return m_repeats; }

private:
    static int onCsi(const char *leader, const long[], int, const char *intermediates, char command,
                     void *user)
    {
        const bool plain = (!leader || !leader[0]) && (!intermediates || !intermediates[0]);
        if (command == 'b' && plain)
            ++static_cast<VTermRepeatProbe *>(user)->m_repeats;
        return 1;
    }

    static constexpr VTermParserCallbacks callbacks = [] {
        VTermParserCallbacks c {};
        c.csi = &VTermRepeatProbe::onCsi;
        return c;
    }();

    struct Free
    {
        void operator()(VTerm *vterm) const { vterm_free(vterm); }
    };
    std::unique_ptr<VTerm, Free> m_vterm;
    int m_repeats = 0;
};
