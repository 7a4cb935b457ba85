package io.lightd.runtime;

import io.netty.buffer.ByteBuf;

/** Receives the output bytes of a process. Called only on the event loop the runtime was given. */
public interface OutputListener {

    /**
     * A chunk of output, stdout and stderr merged, in the order the process wrote it. Chunk
     * boundaries are arbitrary (a line or a UTF-8 character may be split). The listener owns the
     * buffer and must release it.
     *
     * @param chunk the bytes, readable from its reader index; owned (and released) by the listener
     */
    void onOutput(ByteBuf chunk);
}
