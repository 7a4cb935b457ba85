package io.lightd.runtime.stats;

import io.lightd.protocol.Stats;

/**
 * Where the {@code stats} of one running container come from, read by the {@link StatsSampler} on its
 * blocking executor. A source keeps what it needs between samples (the previous CPU time, for the
 * CPU share since then) and is sampled by one thread at a time.
 *
 * @param <B> what a batch of samples shares, opened once per batch by the sampler (the process
 *            runtime's one scan of {@code /proc}); {@code Void} when nothing is shared
 */
@FunctionalInterface
public interface StatsSource<B> {

    /**
     * Takes a sample; blocking (reads files). Returns null when there is nothing to report now (the
     * container's files are gone: it is ending). Throws when reading failed otherwise.
     *
     * @param batch     what this batch shares (null for {@code Void})
     * @param nowNanos  {@link System#nanoTime()} of this batch: the CPU share is measured up to it
     * @return the sample (CPU not yet rounded), or null when there is nothing to report now
     * @throws Exception when reading failed otherwise (the sampler logs it, at WARN once per
     *                   registration, and samples again at the next interval)
     */
    Stats sample(B batch, long nowNanos) throws Exception;
}
