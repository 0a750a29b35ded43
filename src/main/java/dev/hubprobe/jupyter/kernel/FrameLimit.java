package dev.hubprobe.jupyter.kernel;

import java.io.IOException;
import okhttp3.Interceptor;
import okhttp3.Response;
import okio.Buffer;
import okio.ForwardingSource;
import okio.Sink;
import okio.Socket;
import okio.Source;

/**
 * Caps what a websocket peer may make the client hold: OkHttp reads a frame, and a message of any
 * number of fragments, whole into memory before handing it on, whatever length its header declares.
 * This interceptor reads the frame headers as the bytes arrive and fails the socket at the first
 * header that would take a frame or a message past {@code max} bytes, before its payload is read.
 *
 * <p>It also offers no compression: a compressed frame could inflate to any size, so the upgrade
 * request goes without {@code permessage-deflate}, and a server that compresses anyway is refused
 * by OkHttp's own reader (an unexpected RSV1 bit).
 */
final class FrameLimit implements Interceptor {
    /** The frame or message that passed the limit: OkHttp ends the socket with it. */
    static final class TooLarge extends IOException {
        TooLarge(String message) {
            super(message);
        }
    }

    /**
     * Pings a peer may send in a second. OkHttp queues a pong for each, without bound, and a peer that
     * does not read them makes that queue grow as fast as it sends 127-byte pings: a server pings
     * every 30 seconds or so, a flood is an attack.
     */
    static final int MAX_PINGS_PER_SECOND = 100;

    private final long max;

    FrameLimit(long max) {
        this.max = max;
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Response response = chain.proceed(chain.request().newBuilder().removeHeader("Sec-WebSocket-Extensions").build());
        Socket socket = response.socket();
        if (socket == null) {
            return response;
        }
        Source capped = new Frames(socket.getSource(), max);
        return response.newBuilder().removeHeader("Sec-WebSocket-Extensions").socket(new Socket() {
            @Override
            public Source getSource() {
                return capped;
            }

            @Override
            public Sink getSink() {
                return socket.getSink();
            }

            @Override
            public void cancel() {
                socket.cancel();
            }
        }).build();
    }

    /** Follows RFC 6455 framing over the bytes read, payloads skipped, only lengths looked at. */
    private static final class Frames extends ForwardingSource {
        private final long max;
        private final byte[] header = new byte[14];
        private int headerRead;
        private int headerLength = 2;
        private long payloadLeft;
        private long message;
        /** Pings in the current second, and when it began. */
        private int pings;
        private long pingWindow = System.nanoTime();

        Frames(Source delegate, long max) {
            super(delegate);
            this.max = max;
        }

        @Override
        public long read(Buffer sink, long byteCount) throws IOException {
            long start = sink.size();
            long n = super.read(sink, byteCount);
            long i = start;
            long end = start + Math.max(0, n);
            while (i < end) {
                if (payloadLeft > 0) {
                    long skip = Math.min(payloadLeft, end - i);
                    payloadLeft -= skip;
                    i += skip;
                    continue;
                }
                header[headerRead++] = sink.getByte(i++);
                if (headerRead == 2) {
                    int len7 = header[1] & 0x7f;
                    headerLength = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((header[1] & 0x80) != 0 ? 4 : 0);
                }
                if (headerRead >= 2 && headerRead == headerLength) {
                    frame();
                }
            }
            return n;
        }

        private void frame() throws IOException {
            int opcode = header[0] & 0x0f;
            int len7 = header[1] & 0x7f;
            long length = len7;
            if (len7 == 126) {
                length = ((header[2] & 0xff) << 8) | (header[3] & 0xff);
            } else if (len7 == 127) {
                length = 0;
                for (int k = 2; k < 10; k++) {
                    length = (length << 8) | (header[k] & 0xff);
                }
            }
            if (length < 0 || length > max) {
                throw new TooLarge("kernel channel sent a frame over the " + mib(max) + " limit");
            }
            if (opcode == 0x9 && ++pings > MAX_PINGS_PER_SECOND) {
                long now = System.nanoTime();
                if (now - pingWindow < 1_000_000_000L) {
                    throw new TooLarge("kernel channel sent over " + MAX_PINGS_PER_SECOND + " pings a second");
                }
                pingWindow = now;
                pings = 1;
            }
            if (opcode == 0x1 || opcode == 0x2) {
                message = length; // a new message
            } else if (opcode == 0x0) {
                message += length; // its next fragment
            }
            if (opcode < 0x8 && message > max) {
                throw new TooLarge("kernel channel sent a message over the " + mib(max) + " limit (in fragments)");
            }
            payloadLeft = length;
            headerRead = 0;
            headerLength = 2;
        }
    }

    static String mib(long bytes) {
        return (bytes >> 20) + " MiB";
    }
}
