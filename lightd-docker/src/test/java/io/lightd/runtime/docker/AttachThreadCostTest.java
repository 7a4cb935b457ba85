package io.lightd.runtime.docker;

import io.lightd.runtime.RecordingListener;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import io.lightd.runtime.ContainerSpec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.io.Closeable;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Why lightd speaks attach itself: docker-java's attach with stdin costs one thread per attached
 * container (it copies an InputStream to the channel on a thread of its own), lightd's direct
 * attach costs none. Prints the measured thread counts.
 */
@ExtendWith(DockerEngineExtension.class)
class AttachThreadCostTest {

    private static final int CONTAINERS = 5;
    private static final String PREFIX = "a" + UUID.randomUUID().toString().substring(0, 8) + "-";

    @TempDir
    static Path storage;
    static MultiThreadIoEventLoopGroup group;
    static DockerRuntime runtime;
    static EngineClient engine;
    static EngineConnector connector;
    static final List<ContainerSpec> specs = new ArrayList<>();

    @BeforeAll
    static void createContainers() throws Exception {
        group = new MultiThreadIoEventLoopGroup(2, Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        runtime = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none");
        connector = new EngineConnector(group, DockerEngineExtension.dockerHost(), Duration.ofSeconds(5));
        engine = EngineClient.negotiate(connector, Duration.ofSeconds(5));
        for (int i = 0; i < CONTAINERS; i++) {
            ContainerSpec spec = new ContainerSpec(PREFIX + i, DockerEngineExtension.TEST_IMAGE, "sleep 1000", null, null,
                    Map.of(), 0, 0, List.of());
            EventLoop loop = group.next();
            runtime.install(spec, loop, new RecordingListener(loop)).get(30, TimeUnit.SECONDS);
            engine.docker().startContainerCmd(EngineContainers.containerName(spec.internalId())).exec();
            specs.add(spec);
        }
    }

    @AfterAll
    static void removeContainers() throws Exception {
        for (ContainerSpec spec : specs) {
            runtime.remove(spec.internalId()).get(30, TimeUnit.SECONDS);
        }
        engine.close();
        runtime.close();
        group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static int liveThreads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    @Test
    void dockerJavaAttachWithStdinCostsAThreadPerContainerAndTheDirectAttachNone() throws Exception {
        // direct attach, on the shared loop
        int beforeDirect = liveThreads();
        List<AttachStream> direct = new ArrayList<>();
        for (ContainerSpec spec : specs) {
            direct.add(AttachStream.open(connector, engine, EngineContainers.containerName(spec.internalId()),
                    spec.internalId(), true, group.next(), Duration.ofSeconds(10), new AttachStream.Sink() {
                        @Override
                        public void onOutput(ByteBuf chunk) {
                            chunk.release();
                        }

                        @Override
                        public void onEnd() {
                        }
                    }).get(30, TimeUnit.SECONDS));
        }
        int afterDirect = liveThreads();
        direct.forEach(AttachStream::close);

        // docker-java attach with a stdin stream (blocking calls: made from this test thread)
        int beforeDockerJava = liveThreads();
        List<PipedOutputStream> stdins = new ArrayList<>();
        List<Closeable> callbacks = new ArrayList<>();
        for (ContainerSpec spec : specs) {
            PipedOutputStream stdin = new PipedOutputStream();
            stdins.add(stdin);
            callbacks.add(engine.docker().attachContainerCmd(EngineContainers.containerName(spec.internalId()))
                    .withStdIn(new PipedInputStream(stdin)).withStdOut(true).withStdErr(true).withFollowStream(true)
                    .exec(new ResultCallback.Adapter<Frame>()));
        }
        int afterDockerJava = liveThreads();
        for (PipedOutputStream stdin : stdins) {
            stdin.close(); // ends docker-java's copy threads
        }
        for (Closeable callback : callbacks) {
            try {
                callback.close();
            } catch (IOException ignored) {
                // closing the stream
            }
        }

        System.out.printf("live threads for %d attached containers: direct %d -> %d, docker-java %d -> %d%n",
                CONTAINERS, beforeDirect, afterDirect, beforeDockerJava, afterDockerJava);
        assertThat(afterDirect - beforeDirect).isLessThanOrEqualTo(1);
        assertThat(afterDockerJava - beforeDockerJava).isGreaterThanOrEqualTo(CONTAINERS);
    }

    @Test
    void dockerJavaAttachToAMissingContainerDoesNotReturnButTheDirectAttachFails() throws Exception {
        Thread caller = new Thread(() -> {
            try {
                engine.docker().attachContainerCmd("lightd-" + PREFIX + "missing")
                        .withStdIn(new PipedInputStream(new PipedOutputStream())).withStdOut(true).withFollowStream(true)
                        .exec(new ResultCallback.Adapter<Frame>());
            } catch (Exception | Error e) {
                // interrupted below
            }
        }, "docker-java-attach-missing");
        caller.setDaemon(true);
        caller.start();
        caller.join(3000);
        boolean stillBlocked = caller.isAlive();
        caller.interrupt();

        Throwable direct = null;
        try {
            AttachStream.open(connector, engine, "lightd-" + PREFIX + "missing", PREFIX + "missing", true, group.next(),
                    Duration.ofSeconds(10), null).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            direct = e.getCause();
        }
        System.out.printf("attach to a missing container: docker-java still blocked after 3 s: %s; direct: %s%n",
                stillBlocked, direct);
        assertThat(direct).isInstanceOf(io.lightd.runtime.ContainerNotFoundException.class);
    }
}
