package io.lightd.server.metrics;

/**
 * Writes the Prometheus text exposition format, version 0.0.4: per family a {@code # HELP} and a
 * {@code # TYPE} line, then one {@code name{label="value",...} number} line per series. Label values
 * are escaped as the format says (backslash, double quote, line feed), and so is help text
 * (backslash, line feed). Written by hand because a scrape needs nothing more, and so the counters
 * on the console path stay plain adders. Not thread-safe: one per scrape.
 */
public final class PrometheusText {

    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(4096);

    /** Starts a family; {@code type} is {@code counter} or {@code gauge}. */
    public PrometheusText family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ');
        escape(help, false);
        out.append("\n# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    public PrometheusText sample(String name, long value) {
        out.append(name).append(' ').append(value).append('\n');
        return this;
    }

    public PrometheusText sample(String name, String label, String labelValue, long value) {
        out.append(name).append('{');
        label(label, labelValue);
        out.append("} ").append(value).append('\n');
        return this;
    }

    public PrometheusText sample(String name, String label1, String value1, String label2, String value2,
                                 long value) {
        out.append(name).append('{');
        label(label1, value1);
        out.append(',');
        label(label2, value2);
        out.append("} ").append(value).append('\n');
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    private void label(String name, String value) {
        out.append(name).append("=\"");
        escape(value, true);
        out.append('"');
    }

    private void escape(String text, boolean quotes) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '"' -> out.append(quotes ? "\\\"" : "\"");
                default -> out.append(c);
            }
        }
    }
}
