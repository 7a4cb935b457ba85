package io.lightd.testing;

import io.netty.util.ResourceLeakDetector;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A leak detector that remembers every leak it reports, so {@link LeakCheckExtension} can fail the
 * test that leaked. Installed for all tests through {@code -Dio.netty.customResourceLeakDetector}.
 */
public final class LeakFailingDetector<T> extends ResourceLeakDetector<T> {

    private static final List<String> LEAKS = new CopyOnWriteArrayList<>();
    private static final AtomicLong TRACKERS = new AtomicLong();

    public LeakFailingDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    public LeakFailingDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval);
    }

    /** Called once for every resource this detector starts tracking; counted for {@link #trackersCreated}. */
    @Override
    protected Object getInitialHint(String resourceType) {
        TRACKERS.incrementAndGet();
        return super.getInitialHint(resourceType);
    }

    /** How many resources all detectors of this kind have started tracking in this JVM so far. */
    public static long trackersCreated() {
        return TRACKERS.get();
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        LEAKS.add(resourceType + " leaked:" + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        LEAKS.add(resourceType + " leaked (no records)");
        super.reportUntracedLeak(resourceType);
    }

    /** Returns and forgets the leaks reported so far. */
    static List<String> drain() {
        List<String> copy = List.copyOf(LEAKS);
        LEAKS.removeAll(copy);
        return copy;
    }
}
