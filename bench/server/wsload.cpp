#include "wsload.h"

#include "benchutil.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace Bench {

namespace {

std::string base64(const uint8_t *data, size_t len)
{
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (size_t i = 0; i < len; i += 3) {
        const uint32_t b0 = data[i];
        const uint32_t b1 = i + 1 < len ? data[i + 1] : 0;
        const uint32_t b2 = i + 2 < len ? data[i + 2] : 0;
        const uint32_t v = (b0 << 16) | (b1 << 8) | b2;
        out += table[(v >> 18) & 63];
        out += table[(v >> 12) & 63];
        out += i + 1 < len ? table[(v >> 6) & 63] : '=';
        out += i + 2 < len ? table[v & 63] : '=';
    }
    return out;
}

std::string lower(std::string s)
{
    for (char &ch : s)
        ch = char(tolower((unsigned char)ch));
    return s;
}

// The number after "key": in a compact JSON text, or -1.
int64_t jsonNumber(const std::string &json, const char *key, size_t from = 0)
{
    const std::string k = std::string("\"") + key + "\":";
    const size_t at = json.find(k, from);
    if (at == std::string::npos)
        return -1;
    return strtoll(json.c_str() + at + k.size(), nullptr, 10);
}

} // namespace

WsLoad::WsLoad(int port, std::string path, bool v1)
    : m_port(port), m_path(std::move(path)), m_v1(v1), m_buf(512 * 1024)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
}

WsLoad::~WsLoad()
{
    closeAll();
    if (m_epoll >= 0)
        ::close(m_epoll);
}

size_t WsLoad::add(uint64_t target)
{
    const size_t index = m_conns.size();
    m_conns.push_back(std::make_unique<WsConn>());
    WsConn &c = *m_conns.back();
    c.target = target;
    c.tStart = nowNs();

    uint8_t key[16];
    for (uint8_t &b : key) {
        m_keySeed = m_keySeed * 1103515245 + 12345;
        b = uint8_t(m_keySeed >> 16);
    }
    c.request = "GET " + m_path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(m_port)
        + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
        + base64(key, sizeof key) + "\r\nSec-WebSocket-Version: 13\r\n"
        + (m_v1 ? "Sec-WebSocket-Protocol: cloud-console.v1\r\n" : "") + "\r\n";

    c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) {
        fail(c, std::string("socket: ") + strerror(errno));
        return index;
    }
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(m_port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c.fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0
        && errno != EINPROGRESS) {
        fail(c, std::string("connect: ") + strerror(errno));
        return index;
    }
    epoll_event ev {};
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.u64 = index;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, c.fd, &ev);
    return index;
}

size_t WsLoad::addMany(size_t n, uint64_t target, size_t maxPending, int64_t deadlineNs)
{
    const size_t first = m_conns.size();
    size_t started = 0;
    for (int loops = 0; loops < 10000000 && nowNs() < deadlineNs; ++loops) {
        size_t pending = 0;
        size_t ready = 0;
        size_t failed = 0;
        for (size_t i = first; i < m_conns.size(); ++i) {
            const WsConn &c = *m_conns[i];
            if (c.ready(m_v1))
                ++ready;
            else if (c.finished())
                ++failed;
            else
                ++pending;
        }
        if (ready + failed == n)
            return ready;
        while (started < n && pending < maxPending) {
            add(target);
            ++started;
            ++pending;
        }
        poll(10);
    }
    size_t ready = 0;
    for (size_t i = first; i < m_conns.size(); ++i)
        ready += m_conns[i]->ready(m_v1) ? 1 : 0;
    return ready;
}

bool WsLoad::runUntil(const std::function<bool()> &done, int64_t deadlineNs)
{
    for (long loops = 0; loops < 100000000L; ++loops) {
        if (done())
            return true;
        const int64_t now = nowNs();
        if (now >= deadlineNs)
            break;
        poll(int(std::min<int64_t>(100, (deadlineNs - now) / 1000000 + 1)));
    }
    return done();
}

void WsLoad::poll(int timeoutMs)
{
    epoll_event events[256];
    const int n = epoll_wait(m_epoll, events, 256, timeoutMs);
    for (int i = 0; i < n; ++i)
        onEvent(size_t(events[i].data.u64), events[i].events);
}

size_t WsLoad::readyCount() const
{
    size_t n = 0;
    for (const auto &c : m_conns)
        n += c->ready(m_v1) ? 1 : 0;
    return n;
}

void WsLoad::fail(WsConn &c, const std::string &why)
{
    if (c.error.empty())
        c.error = why;
    if (c.fd >= 0) {
        ::close(c.fd);
        c.fd = -1;
    }
    c.state = WsConn::State::Failed;
}

void WsLoad::close(size_t index)
{
    WsConn &c = *m_conns[index];
    if (c.fd >= 0) {
        ::close(c.fd); // also removes it from the epoll set
        c.fd = -1;
    }
    if (!c.finished())
        c.state = WsConn::State::Closed;
}

void WsLoad::closeAll()
{
    for (size_t i = 0; i < m_conns.size(); ++i)
        close(i);
}

void WsLoad::onEvent(size_t index, uint32_t events)
{
    if (index >= m_conns.size())
        return;
    WsConn &c = *m_conns[index];
    if (c.fd < 0)
        return;
    if (c.state == WsConn::State::Connecting) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            fail(c, std::string("connect: ") + strerror(err));
            return;
        }
        const ssize_t sent = send(c.fd, c.request.data(), c.request.size(), MSG_NOSIGNAL);
        if (sent != ssize_t(c.request.size())) {
            fail(c, "could not send the upgrade request in one write");
            return;
        }
        c.state = WsConn::State::Handshake;
        epoll_event ev {};
        ev.events = EPOLLIN;
        ev.data.u64 = index;
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &ev);
        return;
    }
    if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        return;
    const ssize_t n = recv(c.fd, m_buf.data(), m_buf.size(), 0);
    if (n == 0) {
        ::close(c.fd);
        c.fd = -1;
        c.state = c.state == WsConn::State::Open ? WsConn::State::Closed : WsConn::State::Failed;
        if (c.error.empty())
            c.error = "closed by the server";
        return;
    }
    if (n < 0) {
        if (errno != EAGAIN && errno != EINTR)
            fail(c, std::string("recv: ") + strerror(errno));
        return;
    }
    const int64_t now = nowNs();
    if (c.state == WsConn::State::Handshake)
        onHandshakeData(c, m_buf.data(), size_t(n), now);
    else
        feed(c, m_buf.data(), size_t(n), now);
}

void WsLoad::onHandshakeData(WsConn &c, const uint8_t *data, size_t len, int64_t now)
{
    const size_t before = c.head.size();
    c.head.append(reinterpret_cast<const char *>(data), len);
    const size_t end = c.head.find("\r\n\r\n");
    if (end == std::string::npos) {
        if (c.head.size() > 16384)
            fail(c, "response head too long");
        return;
    }
    const std::string head = c.head.substr(0, end + 4);
    if (head.compare(0, 12, "HTTP/1.1 101") != 0) {
        fail(c, "upgrade refused: " + head.substr(0, head.find("\r\n")));
        return;
    }
    if (m_v1 && lower(head).find("sec-websocket-protocol: cloud-console.v1") == std::string::npos) {
        fail(c, "the server did not accept the cloud-console.v1 subprotocol");
        return;
    }
    c.state = WsConn::State::Open;
    c.tOpen = now;
    const size_t used = end + 4 - before; // bytes of `data` that belonged to the head
    c.head.clear();
    c.head.shrink_to_fit();
    c.request.clear();
    c.request.shrink_to_fit();
    if (used < len)
        feed(c, data + used, len - used, now);
}

void WsLoad::feed(WsConn &c, const uint8_t *data, size_t len, int64_t now)
{
    while (len > 0 && c.fd >= 0) {
        if (!c.inPayload) {
            c.hdr[c.hdrLen++] = *data++;
            --len;
            if (c.hdrLen == 2) {
                const uint8_t len7 = c.hdr[1] & 0x7f;
                c.hdrNeed = 2
                    + (len7 == 126       ? 2
                           : len7 == 127 ? 8
                                         : 0)
                    + ((c.hdr[1] & 0x80) ? 4 : 0);
            }
            if (c.hdrLen < c.hdrNeed)
                continue;
            c.fin = c.hdr[0] & 0x80;
            c.opcode = c.hdr[0] & 0x0f;
            const uint8_t len7 = c.hdr[1] & 0x7f;
            uint64_t payload = len7;
            if (len7 == 126) {
                payload = (uint64_t(c.hdr[2]) << 8) | c.hdr[3];
            } else if (len7 == 127) {
                payload = 0;
                for (int i = 0; i < 8; ++i)
                    payload = (payload << 8) | c.hdr[2 + i];
            }
            if (c.opcode == 0x1 || c.opcode == 0x2)
                c.dataOpcode = c.opcode;
            if (c.opcode == 0x2 || (c.opcode == 0x0 && c.dataOpcode == 0x2))
                ++c.binFrames;
            c.left = payload;
            c.hdrLen = 0;
            c.hdrNeed = 2;
            c.inPayload = true;
            if (c.left == 0)
                finishFrame(c, now);
            continue;
        }
        const size_t n = size_t(std::min<uint64_t>(c.left, len));
        const bool control = c.opcode >= 0x8;
        const uint8_t kind = control ? c.opcode : (c.opcode == 0 ? c.dataOpcode : c.opcode);
        if (kind == 0x2) {
            c.binBytes += n;
            if (c.marker >= 0 && !c.markerSeen && memchr(data, c.marker, n)) {
                c.markerSeen = true;
                c.tMarker = now;
            }
            if (!c.tDone && c.binBytes + c.gapBytes >= c.target)
                c.tDone = now;
        } else if (control) {
            if (c.control.size() < 4096)
                c.control.append(reinterpret_cast<const char *>(data), n);
        } else if (c.text.size() < (1u << 20)) {
            c.text.append(reinterpret_cast<const char *>(data), n);
        }
        data += n;
        len -= n;
        c.left -= n;
        if (c.left == 0)
            finishFrame(c, now);
    }
}

void WsLoad::finishFrame(WsConn &c, int64_t now)
{
    c.inPayload = false;
    switch (c.opcode) {
    case 0x8: // close
        sendFrame(c, 0x8, c.control.data(), std::min<size_t>(c.control.size(), 2));
        ::close(c.fd);
        c.fd = -1;
        c.state = WsConn::State::Closed;
        c.error = "close frame from the server";
        break;
    case 0x9: // ping
        sendFrame(c, 0xA, c.control.data(), c.control.size());
        break;
    default:
        if (c.opcode < 0x8 && c.fin && c.dataOpcode == 0x1)
            onText(c, now);
        break;
    }
    if (c.opcode >= 0x8)
        c.control.clear();
}

void WsLoad::onText(WsConn &c, int64_t now)
{
    ++c.textFrames;
    if (c.text.find("\"type\":\"hello\"") != std::string::npos) {
        c.helloSeen = true;
        c.tHello = now;
        c.helloOffset = jsonNumber(c.text, "offset");
        const size_t history = c.text.find("\"history\"");
        if (history != std::string::npos)
            c.historyEnd = jsonNumber(c.text, "end", history);
    } else if (c.text.find("\"type\":\"gap\"") != std::string::npos) {
        ++c.gaps;
        const int64_t from = jsonNumber(c.text, "from");
        const int64_t to = jsonNumber(c.text, "to");
        if (from >= 0 && to > from)
            c.gapBytes += uint64_t(to - from);
        if (!c.tDone && c.binBytes + c.gapBytes >= c.target)
            c.tDone = now;
    }
    c.lastText.assign(c.text, 0, std::min<size_t>(c.text.size(), 512));
    c.text.clear();
}

bool WsLoad::sendFrame(WsConn &c, uint8_t opcode, const void *data, size_t len)
{
    if (c.fd < 0 || len > 125)
        return false;
    uint8_t frame[6 + 125];
    frame[0] = uint8_t(0x80 | opcode);
    frame[1] = uint8_t(0x80 | len);
    m_keySeed = m_keySeed * 1103515245 + 12345;
    const uint32_t mask = m_keySeed;
    memcpy(frame + 2, &mask, 4);
    const uint8_t *in = static_cast<const uint8_t *>(data);
    for (size_t i = 0; i < len; ++i)
        frame[6 + i] = in[i] ^ frame[2 + i % 4];
    return send(c.fd, frame, 6 + len, MSG_NOSIGNAL) == ssize_t(6 + len);
}

bool WsLoad::sendBinary(size_t index, const void *data, size_t len)
{
    return sendFrame(*m_conns[index], 0x2, data, len);
}

} // namespace Bench
