#pragma once

// Cell is one character cell of the terminal as the view paints it and the scrollback keeps it.
//
// Colours are already resolved to RGB (indexed colours through the model's palette), so the
// view needs no palette; "default" colours are flagged instead, so that the view can paint the
// default background once per frame and the theme stays the view's business. A cell keeps the
// base character and at most one combining character: enough for accents and emoji variation
// selectors, and it keeps a 10,000-line scrollback of wide lines within a few tens of MB.

#include <QtGlobal>

#include <vector>

namespace CloudConsole::Terminal {

// An opaque colour as 0xAARRGGBB, the layout of QtGui's QRgb, so the view hands it to QColor as
// it is; the model itself needs nothing from QtGui, and the server links no GUI library.
using Rgb = quint32;
constexpr Rgb rgb(int red, int green, int blue)
{
    return 0xff000000u | (quint32(red & 0xff) << 16) | (quint32(green & 0xff) << 8)
        | quint32(blue & 0xff);
}
constexpr int redOf(Rgb color)
{
    return int((color >> 16) & 0xff);
}
constexpr int greenOf(Rgb color)
{
    return int((color >> 8) & 0xff);
}
constexpr int blueOf(Rgb color)
{
    return int(color & 0xff);
}

// Colours 16 to 255 as xterm has them: the 6x6x6 cube, then the grey ramp. (libvterm 0.1.4
// builds its own from steps of 0x33; programs expect xterm's, as every common terminal has them.)
constexpr Rgb xtermColor(int index)
{
    constexpr int steps[] = {0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff};
    if (index < 232) {
        const int cube = index - 16;
        return rgb(steps[cube / 36], steps[(cube / 6) % 6], steps[cube % 6]);
    }
    const int grey = 8 + 10 * (index - 232);
    return rgb(grey, grey, grey);
}

struct Cell
{
    enum Flag : quint16 {
        Bold = 1 << 0,
        Italic = 1 << 1,
        Underline = 1 << 2,
        DoubleUnderline = 1 << 3,
        Reverse = 1 << 4,
        Strike = 1 << 5,
        Blink = 1 << 6,
        DefaultForeground = 1 << 7,
        DefaultBackground = 1 << 8,
        // Internal to the model: written while DECSCA protection was on, so selective erase
        // (DECSED, DECSEL) leaves it. The view ignores it.
        Protected = 1 << 15,
    };

    char32_t ch = 0; // 0: nothing was ever written here
    char32_t combining = 0;
    Rgb foreground = 0;
    Rgb background = 0;
    quint16 flags = DefaultForeground | DefaultBackground;
    // 1 for most characters, 2 for the first cell of a wide character, 0 for the cell it covers.
    quint8 width = 1;

    bool has(Flag flag) const { return (flags & flag) != 0; }
    bool isBlank() const
    {
        return (ch == 0 || ch == U' ') && has(DefaultBackground)
            && !(flags & (Reverse | Underline | DoubleUnderline | Strike));
    }
    // Cells that paint the same except for their character, so the view can draw them in one run.
    bool sameStyle(const Cell &other) const
    {
        return ((flags ^ other.flags) & ~Protected) == 0 && foreground == other.foreground
            && background == other.background;
    }
};

using Line = std::vector<Cell>;

} // namespace CloudConsole::Terminal
