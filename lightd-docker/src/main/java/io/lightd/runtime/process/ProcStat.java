package io.lightd.runtime.process;

/**
 * The fields the process runtime reads from one {@code /proc/<pid>/stat} line (see proc(5)):
 * state, process group, user and system CPU time in clock ticks, and start time in clock ticks
 * since boot (which, with the pid, names a process even after its pid is reused).
 */
record ProcStat(char state, long processGroup, long userTicks, long systemTicks, long startTicks) {

    // Field numbers of proc(5), counted from 1; the command name is field 2.
    private static final int STATE = 3;
    private static final int PROCESS_GROUP = 5;
    private static final int USER_TICKS = 14;
    private static final int SYSTEM_TICKS = 15;
    private static final int START_TICKS = 22;

    /** A zombie has exited and only waits to be reaped: it uses nothing and cannot be signalled away. */
    boolean zombie() {
        return state == 'Z';
    }

    long cpuTicks() {
        return userTicks + systemTicks;
    }

    /**
     * Parses a stat line, or returns null when it is not one. The command name may hold spaces and
     * parentheses of its own, so the fields after it are counted from the last {@code ')'}.
     */
    static ProcStat parse(String line) {
        if (line == null) {
            return null;
        }
        int nameEnd = line.lastIndexOf(')');
        if (nameEnd < 0 || nameEnd + 2 > line.length()) {
            return null;
        }
        String[] fields = line.substring(nameEnd + 2).trim().split(" +");
        if (fields.length <= field(START_TICKS) || fields[field(STATE)].isEmpty()) {
            return null;
        }
        try {
            return new ProcStat(fields[field(STATE)].charAt(0),
                    Long.parseLong(fields[field(PROCESS_GROUP)]),
                    Long.parseLong(fields[field(USER_TICKS)]),
                    Long.parseLong(fields[field(SYSTEM_TICKS)]),
                    Long.parseLong(fields[field(START_TICKS)]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Index, among the fields after the command name, of proc(5) field {@code number}. */
    private static int field(int number) {
        return number - STATE;
    }
}
