package io.lightd.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BoundedExecutorsTest {

    /**
     * Two threads and a queue of three: two tasks run, three wait, the sixth is refused at once
     * (the caller is not blocked); the threads are named daemon threads; once released all five run.
     */
    @Test
    void boundsThreadsAndQueueAndRefusesBeyondThemWithoutBlocking() throws Exception {
        ThreadPoolExecutor pool = BoundedExecutors.newBoundedExecutor("lightd-test-pool", 2, 3, Duration.ofSeconds(5));
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(2);
        CountDownLatch done = new CountDownLatch(5);
        Set<String> names = ConcurrentHashMap.newKeySet();
        Set<Boolean> daemon = ConcurrentHashMap.newKeySet();
        try {
            for (int i = 0; i < 5; i++) {
                pool.execute(() -> {
                    names.add(Thread.currentThread().getName());
                    daemon.add(Thread.currentThread().isDaemon());
                    running.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    done.countDown();
                });
            }
            assertThat(running.await(10, TimeUnit.SECONDS)).as("two tasks running").isTrue();
            assertThat(pool.getQueue()).hasSize(3);
            assertThatThrownBy(() -> pool.execute(() -> { })).isInstanceOf(RejectedExecutionException.class);
            release.countDown();
            assertThat(done.await(10, TimeUnit.SECONDS)).as("the queued ones ran once threads were free").isTrue();
            assertThat(pool.getLargestPoolSize()).isEqualTo(2);
            assertThat(names).allMatch(n -> n.startsWith("lightd-test-pool-")).hasSizeLessThanOrEqualTo(2);
            assertThat(daemon).containsExactly(true);
            assertThat(pool.allowsCoreThreadTimeOut()).as("idle threads end").isTrue();
            assertThat(pool.getKeepAliveTime(TimeUnit.SECONDS)).isEqualTo(5);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void refusesBoundsOutOfRange() {
        assertThatThrownBy(() -> BoundedExecutors.newBoundedExecutor("x", 0, 1, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BoundedExecutors.newBoundedExecutor("x", 1, 0, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BoundedExecutors.newBoundedExecutor("x", 1, 1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
