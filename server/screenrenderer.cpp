#include "screenrenderer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace CloudConsole {

using Terminal::Cell;
using Terminal::Line;

namespace {

// A cell's character as text: a space where nothing was written, a combining character kept.
void appendCell(QString &text, const Cell &cell)
{
    if (cell.ch == 0) {
        text += QLatin1Char(' ');
        return;
    }
    text += QString::fromUcs4(&cell.ch, 1);
    if (cell.combining != 0)
        text += QString::fromUcs4(&cell.combining, 1);
}

// A line's text without its blank tail; a wide character once.
QString lineText(const Line &line)
{
    QString text;
    for (const Cell &cell : line) {
        if (cell.width != 0)
            appendCell(text, cell);
    }
    qsizetype end = text.size();
    while (end > 0 && text.at(end - 1) == QLatin1Char(' '))
        --end;
    text.truncate(end);
    return text;
}

// The screen's rows up to its last non-blank one.
qsizetype usedRows(const ConsoleScreen::Text &screen)
{
    qsizetype rows = qsizetype(screen.lines.size());
    while (rows > 0 && lineText(screen.lines[size_t(rows - 1)]).isEmpty())
        --rows;
    return rows;
}

QString hexColour(Terminal::Rgb rgb)
{
    return QStringLiteral("#%1%2%3")
        .arg(Terminal::redOf(rgb), 2, 16, QLatin1Char('0'))
        .arg(Terminal::greenOf(rgb), 2, 16, QLatin1Char('0'))
        .arg(Terminal::blueOf(rgb), 2, 16, QLatin1Char('0'));
}

// One style run of a line: cells that look alike, with their text.
struct Run
{
    Cell style;
    QString text;
};

std::vector<Run> runsOf(const Line &line)
{
    std::vector<Run> runs;
    qsizetype end = qsizetype(line.size());
    while (end > 0 && line[size_t(end - 1)].isBlank())
        --end;
    for (qsizetype i = 0; i < end; ++i) {
        const Cell &cell = line[size_t(i)];
        if (cell.width == 0)
            continue;
        if (runs.empty() || !runs.back().style.sameStyle(cell))
            runs.push_back({cell, QString()});
        appendCell(runs.back().text, cell);
    }
    return runs;
}

QJsonArray attributesOf(const Cell &cell)
{
    QJsonArray attributes;
    const std::pair<Cell::Flag, const char *> names[] = {
        {Cell::Bold, "bold"},           {Cell::Italic, "italic"},
        {Cell::Underline, "underline"}, {Cell::DoubleUnderline, "double-underline"},
        {Cell::Reverse, "reverse"},     {Cell::Strike, "strike"},
        {Cell::Blink, "blink"},
    };
    for (const auto &[flag, name] : names) {
        if (cell.has(flag))
            attributes.append(QLatin1String(name));
    }
    return attributes;
}

} // namespace

QByteArray ScreenRenderer::text(const ConsoleScreen::Text &screen)
{
    QString out;
    const qsizetype rows = usedRows(screen);
    for (qsizetype row = 0; row < rows; ++row)
        out += lineText(screen.lines[size_t(row)]) + QLatin1Char('\n');
    return out.toUtf8();
}

QByteArray ScreenRenderer::json(const QString &console, const ConsoleScreen::Text &screen)
{
    QJsonArray lines;
    for (const Line &line : screen.lines) {
        QJsonArray runs;
        for (const Run &run : runsOf(line)) {
            QJsonObject r {{QStringLiteral("text"), run.text}};
            // Default colours are the client's theme: null, not a colour of ours.
            r.insert(QStringLiteral("fg"),
                     run.style.has(Cell::DefaultForeground)
                         ? QJsonValue(QJsonValue::Null)
                         : QJsonValue(hexColour(run.style.foreground)));
            r.insert(QStringLiteral("bg"),
                     run.style.has(Cell::DefaultBackground)
                         ? QJsonValue(QJsonValue::Null)
                         : QJsonValue(hexColour(run.style.background)));
            const QJsonArray attributes = attributesOf(run.style);
            if (!attributes.isEmpty())
                r.insert(QStringLiteral("attributes"), attributes);
            runs.append(r);
        }
        lines.append(
            QJsonObject {{QStringLiteral("text"), lineText(line)}, {QStringLiteral("runs"), runs}});
    }
    const QJsonObject document {
        {QStringLiteral("console"), console},
        {QStringLiteral("offset"), double(screen.offset)},
        {QStringLiteral("cols"), screen.size.width()},
        {QStringLiteral("rows"), screen.size.height()},
        {QStringLiteral("title"), screen.title},
        {QStringLiteral("alternateScreen"), screen.alternateScreen},
        {QStringLiteral("cursor"),
         QJsonObject {{QStringLiteral("column"), screen.cursor.x()},
                      {QStringLiteral("row"), screen.cursor.y()},
                      {QStringLiteral("visible"), screen.cursorVisible}}},
        {QStringLiteral("lines"), lines},
    };
    return QJsonDocument(document).toJson(QJsonDocument::Compact) + '\n';
}

QByteArray ScreenRenderer::html(const QString &console, const ConsoleScreen::Text &screen)
{
    const Terminal::TerminalColors &colors = screen.colors;
    QString body;
    const qsizetype rows = usedRows(screen);
    for (qsizetype row = 0; row < rows; ++row) {
        for (const Run &run : runsOf(screen.lines[size_t(row)])) {
            const Cell &s = run.style;
            Terminal::Rgb fg = s.has(Cell::DefaultForeground) ? colors.foreground : s.foreground;
            Terminal::Rgb bg = s.has(Cell::DefaultBackground) ? colors.background : s.background;
            if (s.has(Cell::Reverse))
                std::swap(fg, bg);
            QString style = QStringLiteral("color:%1").arg(hexColour(fg));
            if (bg != colors.background)
                style += QStringLiteral(";background:%1").arg(hexColour(bg));
            if (s.has(Cell::Bold))
                style += QStringLiteral(";font-weight:bold");
            if (s.has(Cell::Italic))
                style += QStringLiteral(";font-style:italic");
            if (s.has(Cell::Underline) || s.has(Cell::DoubleUnderline) || s.has(Cell::Strike))
                style += s.has(Cell::Strike) ? QStringLiteral(";text-decoration:line-through")
                                             : QStringLiteral(";text-decoration:underline");
            body += QStringLiteral("<span style=\"%1\">%2</span>")
                        .arg(style, run.text.toHtmlEscaped());
        }
        body += QLatin1Char('\n');
    }
    const QString title = screen.title.isEmpty() ? console : screen.title;
    const QString page
        = QStringLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%1</title>"
                         "<style>body{margin:0;background:%2}pre{margin:1em;font:14px/1.2 "
                         "'DejaVu Sans Mono',monospace;color:%3;background:%2}</style></head>"
                         "<body><pre>%4</pre></body></html>\n")
              .arg(title.toHtmlEscaped(), hexColour(colors.background),
                   hexColour(colors.foreground), body);
    return page.toUtf8();
}

} // namespace CloudConsole
