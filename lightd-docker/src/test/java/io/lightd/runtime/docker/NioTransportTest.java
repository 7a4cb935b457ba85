package io.lightd.runtime.docker;

import io.lightd.runtime.RecordingListener;
import static org.assertj.core.api.Assertions.assertThat;

import io.lightd.runtime.ContainerSpec;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The runtime on a NIO group (NIO domain-socket channels), as on machines without epoll. */
@ExtendWith(DockerEngineExtension.class)
class NioTransportTest {

    @TempDir
    Path storage;

    @Test
    void installStartStdinAndExitWorkOnANioGroup() throws Exception {
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        DockerRuntime runtime = new DockerRuntime(group, DockerEngineExtension.dockerHost(), storage, "none");
        String id = "n" + UUID.randomUUID().toString().substring(0, 8);
        try {
            ContainerSpec spec = new ContainerSpec(id, DockerEngineExtension.TEST_IMAGE,
                    "read line; echo \"got $line\"; exit 4", null, "echo installed", Map.of(), 0, 0, List.of());
            EventLoop loop = group.next();
            RecordingListener install = new RecordingListener(loop);
            assertThat(runtime.install(spec, loop, install).get(30, TimeUnit.SECONDS)).isZero();
            assertThat(install.text()).isEqualTo("installed\n");

            RecordingListener run = new RecordingListener(loop);
            runtime.start(spec, loop, run).get(30, TimeUnit.SECONDS);
            runtime.writeStdin(id, "nio\n".getBytes(StandardCharsets.UTF_8));

            assertThat(run.exit.get(30, TimeUnit.SECONDS)).isEqualTo(4);
            assertThat(run.outputAtExit).isEqualTo("got nio\n");
            assertThat(install.violations).isEmpty();
            assertThat(run.violations).isEmpty();
        } finally {
            runtime.remove(id).handle((v, e) -> null).get(30, TimeUnit.SECONDS);
            runtime.close();
            group.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
