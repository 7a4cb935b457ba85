package io.lightd.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** A plain socket to the daemon, for requests no well-behaved client sends: trickled, oversize, or from another loopback address. */
final class RawHttp implements AutoCloseable {

    /** One HTTP answer as text: status code, header block and body. */
    record Answer(int status, String headers, String body) {

        String header(String name) {
            for (String line : headers.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).trim();
                }
            }
            return null;
        }
    }

    private final Socket socket;
    private final InputStream in;

    private RawHttp(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout((int) WsClient.WAIT.toMillis());
        this.in = socket.getInputStream();
    }

    static RawHttp open(int port) throws IOException {
        return open(port, InetAddress.getLoopbackAddress());
    }

    /** From {@code from} (any 127.x address stands for another client machine). */
    static RawHttp open(int port, InetAddress from) throws IOException {
        Socket s = new Socket();
        s.bind(new InetSocketAddress(from, 0));
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        return new RawHttp(s);
    }

    /** Sets how long a read may wait before it fails with a timeout. */
    RawHttp readTimeout(Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        return this;
    }

    /** The client's own port: the daemon's log lines about this connection name it. */
    int localPort() {
        return socket.getLocalPort();
    }

    void send(String text) throws IOException {
        socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
    }

    /** Sends {@code text} one byte at a time, {@code pause} apart, until done or the server hangs up; returns the bytes sent. */
    int trickle(String text, Duration pause) throws InterruptedException {
        int sent = 0;
        try {
            for (byte b : text.getBytes(StandardCharsets.ISO_8859_1)) {
                socket.getOutputStream().write(b);
                socket.getOutputStream().flush();
                sent++;
                Thread.sleep(pause.toMillis());
            }
        } catch (IOException e) {
            // the server closed the connection
        }
        return sent;
    }

    /** Reads one answer: the head, then a body of its Content-Length. */
    Answer read() throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed after " + head.size() + " bytes of an answer: " + head);
            }
            head.write(b);
        }
        String headers = head.toString(StandardCharsets.ISO_8859_1);
        Answer partial = new Answer(Integer.parseInt(headers.substring(9, 12)), headers, "");
        String length = partial.header("content-length");
        byte[] body = in.readNBytes(length == null ? 0 : Integer.parseInt(length));
        return new Answer(partial.status(), headers, new String(body, StandardCharsets.UTF_8));
    }

    /** True when the server closes the connection within {@code wait} (anything it still sends is skipped). */
    boolean closedWithin(Duration wait) throws IOException {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                if (in.read() < 0) {
                    return true;
                }
            }
            return false;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
