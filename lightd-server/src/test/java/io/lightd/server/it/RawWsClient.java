package io.lightd.server.it;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A WebSocket client on a plain socket that writes whatever bytes a test builds: frames a browser
 * never sends (unmasked, reserved bits and opcodes, broken fragmentation, lying lengths) and raw
 * garbage. It reads the server's frames one by one, so a test sees the exact close code. Not
 * thread-safe: one test thread drives it.
 */
final class RawWsClient implements AutoCloseable {

    static final int CONTINUATION = 0x0;
    static final int TEXT = 0x1;
    static final int BINARY = 0x2;
    static final int CLOSE = 0x8;
    static final int PING = 0x9;
    static final int PONG = 0xA;

    /** What a read of the server's side found: a whole frame, or the end of the connection. */
    record Frame(boolean fin, int opcode, byte[] payload) {

        String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        /** The status code of a close frame; 1005 (no status) when it carries none. */
        int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
        }
    }

    private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int READ_TIMEOUT_MILLIS = (int) WsClient.WAIT.toMillis();

    private final Socket socket;
    private final OutputStream out;
    private final DataInputStream in;

    private RawWsClient(Socket socket) throws IOException {
        this.socket = socket;
        this.out = socket.getOutputStream();
        this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
    }

    /** A TCP connection to the daemon and nothing more. */
    static final int RECEIVE_BUFFER_BYTES = 64 * 1024;

    static Socket connect(int port) throws IOException {
        Socket socket = new Socket();
        // A fixed receive buffer: the kernel would otherwise grow it (to 32 MiB on some machines) for
        // a client that does not read, and a test's flood would vanish into it.
        socket.setReceiveBufferSize(RECEIVE_BUFFER_BYTES);
        socket.connect(new InetSocketAddress("127.0.0.1", port), READ_TIMEOUT_MILLIS);
        socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        socket.setTcpNoDelay(true);
        return socket;
    }

    /** The upgrade request a browser sends for {@code path}. */
    static String upgradeRequest(String path, String key) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    }

    /** Opens a WebSocket to {@code /ws/{id}} with the master token; fails unless the daemon answers 101. */
    static RawWsClient open(int port, String id) throws IOException {
        return upgrade(port, "/ws/" + id + "?token=" + Daemon.TOKEN);
    }

    /** Opens a WebSocket to {@code path} (with its query); fails unless the daemon answers 101. */
    static RawWsClient upgrade(int port, String path) throws IOException {
        RawWsClient client = new RawWsClient(connect(port));
        try {
            String key = Base64.getEncoder().encodeToString(randomBytes(16));
            client.out.write(upgradeRequest(path, key).getBytes(StandardCharsets.US_ASCII));
            client.out.flush();
            String head = client.readHead();
            if (!head.startsWith("HTTP/1.1 101 ")) {
                throw new AssertionError("the upgrade was refused: " + head.lines().findFirst().orElse(head));
            }
            String accept = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1")
                    .digest((key + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII)));
            if (!head.toLowerCase(java.util.Locale.ROOT).contains("sec-websocket-accept: " + accept.toLowerCase(java.util.Locale.ROOT))) {
                throw new AssertionError("wrong Sec-WebSocket-Accept in " + head);
            }
            return client;
        } catch (IOException | RuntimeException | Error e) {
            client.abort();
            throw e;
        } catch (NoSuchAlgorithmException e) {
            client.abort();
            throw new AssertionError(e);
        }
    }

    /** The HTTP status line and headers of the answer to the upgrade request. */
    private String readHead() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the connection ended inside the HTTP answer: " + head);
            }
            head.write(b);
            matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    /** A client frame as the bytes on the wire: masked with a random key when {@code masked}. */
    static byte[] frame(boolean fin, int rsv, int opcode, boolean masked, byte[] payload) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(payload.length + 14);
        b.write((fin ? 0x80 : 0) | (rsv & 0x7) << 4 | (opcode & 0xF));
        int maskBit = masked ? 0x80 : 0;
        if (payload.length < 126) {
            b.write(maskBit | payload.length);
        } else if (payload.length < 65_536) {
            b.write(maskBit | 126);
            b.write(payload.length >>> 8);
            b.write(payload.length);
        } else {
            b.write(maskBit | 127);
            long length = payload.length;
            for (int shift = 56; shift >= 0; shift -= 8) {
                b.write((int) (length >>> shift));
            }
        }
        if (masked) {
            byte[] key = randomBytes(4);
            b.writeBytes(key);
            for (int i = 0; i < payload.length; i++) {
                b.write(payload[i] ^ key[i & 3]);
            }
        } else {
            b.writeBytes(payload);
        }
        return b.toByteArray();
    }

    /** A well-formed, masked, final frame. */
    static byte[] frame(int opcode, byte[] payload) {
        return frame(true, 0, opcode, true, payload);
    }

    static byte[] text(String text) {
        return frame(TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Writes bytes as they are, in one write. */
    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    void sendText(String text) throws IOException {
        write(text(text));
    }

    /** The next frame from the server, or null once the connection has ended; fails after the read timeout. */
    Frame read() throws IOException {
        int b0;
        try {
            b0 = in.read();
        } catch (SocketTimeoutException e) {
            throw new AssertionError("no frame within " + WsClient.WAIT, e);
        } catch (IOException e) {
            return null;
        }
        if (b0 < 0) {
            return null;
        }
        int b1 = in.readUnsignedByte();
        long length = b1 & 0x7F;
        if (length == 126) {
            length = in.readUnsignedShort();
        } else if (length == 127) {
            length = in.readLong();
        }
        if ((b1 & 0x80) != 0) {
            throw new AssertionError("the server masked a frame");
        }
        if (length > 64L * 1024 * 1024) {
            throw new AssertionError("a frame of " + length + " bytes");
        }
        byte[] payload = new byte[(int) length];
        in.readFully(payload);
        return new Frame((b0 & 0x80) != 0, b0 & 0x0F, payload);
    }

    /** The next message (a text frame) as JSON, skipping pongs; fails on a close or the end of the connection. */
    JsonObject next() throws IOException {
        while (true) {
            Frame f = read();
            if (f == null || f.opcode() == CLOSE) {
                throw new AssertionError("the connection closed (" + (f == null ? "no close frame" : f.closeCode())
                        + ") while a message was expected");
            }
            if (f.opcode() == TEXT) {
                return JsonParser.parseString(f.text()).getAsJsonObject();
            }
        }
    }

    /** The first message whose {@code event} is {@code event}, skipping others. */
    JsonObject await(String event) throws IOException {
        while (true) {
            JsonObject m = next();
            if (m.get("event").getAsString().equals(event)) {
                return m;
            }
        }
    }

    /**
     * Reads until the server's close frame, skipping anything before, answers it with a close frame
     * of the same code as RFC 6455 5.5.1 asks of a client, and reads on until the server ends the
     * connection; returns the close code. Fails if the connection ends without a close frame.
     */
    int awaitClose() throws IOException {
        while (true) {
            Frame f = read();
            if (f == null) {
                throw new AssertionError("the connection ended without a close frame");
            }
            if (f.opcode() == CLOSE) {
                replyToClose(f);
                awaitEnd();
                return f.closeCode();
            }
        }
    }

    /** Answers the server's close frame with the same status code (none when it had none). */
    void replyToClose(Frame close) {
        byte[] code = close.payload().length >= 2 ? new byte[] {close.payload()[0], close.payload()[1]} : new byte[0];
        try {
            write(frame(CLOSE, code));
        } catch (IOException e) {
            // the server ended the connection right after its close frame (a protocol error)
        }
    }

    /**
     * Reads and discards until the server ends the connection; a reset counts as an end (a server
     * that closed right after its close frame resets when the close reply reaches it).
     */
    void awaitEnd() throws IOException {
        try {
            while (read() != null) {
                // what comes after the close frame, if anything, does not matter here
            }
        } catch (SocketException reset) {
            // ended
        }
    }

    /** Reads and discards for at most {@code wait}, or until the server ends the connection. */
    void awaitEndWithin(Duration wait) throws IOException {
        socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
        try {
            while (in.read() >= 0) {
                in.skipNBytes(in.available());
            }
        } catch (SocketTimeoutException e) {
            // still open: the caller ends it
        } finally {
            socket.setSoTimeout(READ_TIMEOUT_MILLIS);
        }
    }

    /** Discards whatever the server has sent so far, without waiting for more. */
    void discardAvailable() throws IOException {
        int n;
        while ((n = in.available()) > 0) {
            in.skipNBytes(n);
        }
    }

    /**
     * Sends the upgrade request for {@code path} on a fresh connection and returns the HTTP status
     * of the answer; the connection is reset afterwards.
     */
    static int upgradeStatus(int port, String path) throws IOException {
        Socket socket = connect(port);
        try {
            socket.getOutputStream().write(upgradeRequest(path, Base64.getEncoder().encodeToString(randomBytes(16)))
                    .getBytes(StandardCharsets.US_ASCII));
            return statusOf(socket);
        } finally {
            abort(socket);
        }
    }

    /** The status code of the HTTP answer arriving on {@code socket}. */
    static int statusOf(Socket socket) throws IOException {
        byte[] line = new byte[12];
        new DataInputStream(socket.getInputStream()).readFully(line);
        String head = new String(line, StandardCharsets.US_ASCII);
        if (!head.startsWith("HTTP/1.")) {
            throw new AssertionError("not an HTTP answer: " + head);
        }
        return Integer.parseInt(head.substring(9, 12));
    }

    /** Ends the connection with a TCP reset instead of a close handshake. */
    void abort() {
        abort(socket);
    }

    static void abort(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }

    /** Sends a normal close frame if it can, then resets; what a test does once it is done. */
    @Override
    public void close() {
        try {
            write(frame(CLOSE, new byte[] {0x03, (byte) 0xE8}));
        } catch (IOException e) {
            // the server already ended the connection
        }
        abort();
    }

    static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
