#pragma once

// A small WebSocket load generator written for the benchmarks: many client connections on one
// epoll set in one thread. It does the HTTP upgrade, parses frame headers, counts binary payload
// bytes without copying them, keeps text frames (hello, gap) for inspection, answers pings, and
// can look for a marker byte in the output (keystroke echo). Client frames are masked.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace Bench {

struct WsConn
{
    enum class State { Connecting, Handshake, Open, Closed, Failed };

    int fd = -1;
    State state = State::Connecting;
    std::string request; // upgrade request still to send
    std::string head; // HTTP response head while handshaking

    // frame parser
    uint8_t hdr[14] = {};
    int hdrLen = 0;
    int hdrNeed = 2;
    bool inPayload = false;
    uint64_t left = 0;
    uint8_t opcode = 0; // of the current frame
    uint8_t dataOpcode = 0; // of the current data message (for continuation frames)
    bool fin = false;
    std::string text; // text message being assembled
    std::string control; // control frame payload being assembled

    // what was received
    uint64_t binBytes = 0;
    uint64_t binFrames = 0;
    uint64_t textFrames = 0;
    uint64_t gaps = 0;
    uint64_t gapBytes = 0; // sum of to - from over the gap events
    bool helloSeen = false;
    int64_t helloOffset = -1;
    int64_t historyEnd = -1;
    std::string lastText;

    // timing (CLOCK_MONOTONIC ns)
    int64_t tStart = 0; // before socket()
    int64_t tOpen = 0; // 101 received
    int64_t tHello = 0;
    // tDone is set when the stream position (binBytes + gapBytes, counted from the hello's offset)
    // reaches target.
    uint64_t target = UINT64_MAX;
    int64_t tDone = 0;

    // keystroke echo
    int marker = -1; // byte to look for in binary payload, -1 = none
    bool markerSeen = false;
    int64_t tMarker = 0;

    std::string error;

    bool ready(bool v1) const { return state == State::Open && (!v1 || helloSeen); }
    bool finished() const { return state == State::Closed || state == State::Failed; }
};

class WsLoad
{
public:
    // v1: ask for the cloud-console.v1 subprotocol (else raw mode).
    WsLoad(int port, std::string path, bool v1);
    ~WsLoad();
    WsLoad(const WsLoad &) = delete;
    WsLoad &operator=(const WsLoad &) = delete;

    // Starts one connection; returns its index.
    size_t add(uint64_t target);
    // Starts n connections, at most maxPending in the handshake at a time, and waits until all
    // are ready (open, and hello received in v1 mode) or the deadline. Returns how many are.
    size_t addMany(size_t n, uint64_t target, size_t maxPending, int64_t deadlineNs);

    // Runs the event loop until done() returns true or the deadline passes; returns done().
    bool runUntil(const std::function<bool()> &done, int64_t deadlineNs);
    // One round of the event loop, waiting at most timeoutMs.
    void poll(int timeoutMs);

    bool sendBinary(size_t index, const void *data, size_t len);
    void close(size_t index);
    void closeAll();

    size_t size() const { return m_conns.size(); }
    WsConn &conn(size_t index) { return *m_conns[index]; }
    bool v1() const { return m_v1; }
    size_t readyCount() const;

private:
    void onEvent(size_t index, uint32_t events);
    void onHandshakeData(WsConn &c, const uint8_t *data, size_t len, int64_t now);
    void feed(WsConn &c, const uint8_t *data, size_t len, int64_t now);
    void finishFrame(WsConn &c, int64_t now);
    void onText(WsConn &c, int64_t now);
    bool sendFrame(WsConn &c, uint8_t opcode, const void *data, size_t len);
    void fail(WsConn &c, const std::string &why);

    int m_port;
    std::string m_path;
    bool m_v1;
    int m_epoll = -1;
    std::vector<std::unique_ptr<WsConn>> m_conns;
    std::vector<uint8_t> m_buf;
    uint32_t m_keySeed = 0x1234567;
};

} // namespace Bench
