#!/usr/bin/env python3
"""Name servers that fail: what a lame delegation leads a resolver to.

    dead-ns.py MODE ADDR...

Listens on port 53 of each ADDR (loopback addresses), over UDP and TCP, and in MODE
  silent    reads every question and never answers; a TCP connection is accepted and
            held open, its questions read and left unanswered, until the peer closes it
  servfail  answers every question with SERVFAIL (RCODE 2), the question echoed
  refused   answers every question with REFUSED (RCODE 5), the question echoed
Runs until killed (scripts/world.sh starts and stops it). Needs root (port 53).
"""

import asyncio
import struct
import sys

RCODES = {"silent": None, "servfail": 2, "refused": 5}


def reply(query, rcode):
    """The header and question of QUERY with QR set and RCODE, or None when QUERY is
    too short or its question does not parse (such a message is dropped)."""
    if len(query) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", query[:6])
    if flags & 0x8000:
        return None
    end = 12
    if qdcount == 1:
        # The name's labels up to the root label (no compression in a question), then
        # QTYPE and QCLASS.
        while end < len(query) and query[end] != 0:
            if query[end] & 0xC0:
                return None
            end += 1 + query[end]
        end += 5
        if end > len(query):
            return None
    elif qdcount != 0:
        return None
    # QR, the query's opcode and RD, no RA (RFC 1035 section 4.1.1).
    out_flags = 0x8000 | (flags & 0x7900) | rcode
    return struct.pack("!HHHHHH", ident, out_flags, qdcount, 0, 0, 0) + query[12:end]


class Udp(asyncio.DatagramProtocol):
    def __init__(self, rcode):
        self.rcode = rcode

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        if self.rcode is None:
            return
        answer = reply(data, self.rcode)
        if answer:
            self.transport.sendto(answer, addr)


def tcp_handler(rcode):
    async def handle(reader, writer):
        try:
            while True:
                # Each message is preceded by its length (RFC 1035 section 4.2.2).
                size = struct.unpack("!H", await reader.readexactly(2))[0]
                query = await reader.readexactly(size)
                if rcode is None:
                    continue
                answer = reply(query, rcode)
                if answer:
                    writer.write(struct.pack("!H", len(answer)) + answer)
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
    return handle


async def main(mode, addrs):
    rcode = RCODES[mode]
    loop = asyncio.get_running_loop()
    for addr in addrs:
        await loop.create_datagram_endpoint(lambda: Udp(rcode), local_addr=(addr, 53))
        await asyncio.start_server(tcp_handler(rcode), addr, 53, backlog=1024)
    await asyncio.Event().wait()


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in RCODES:
        sys.exit(__doc__)
    asyncio.run(main(sys.argv[1], sys.argv[2:]))
