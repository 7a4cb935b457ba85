package io.lightd.runtime.docker;

/**
 * An image reference split the way the engine's pull endpoint wants it: repository and tag (or
 * digest). A reference without either means {@code :latest}, as the Docker CLI reads it; pulling
 * a bare repository would fetch every tag.
 */
record ImageRef(String repository, String tag, boolean digest) {

    static ImageRef parse(String image) {
        int at = image.indexOf('@');
        if (at >= 0) {
            return new ImageRef(image.substring(0, at), image.substring(at + 1), true);
        }
        int colon = image.lastIndexOf(':');
        if (colon > image.lastIndexOf('/')) {
            return new ImageRef(image.substring(0, colon), image.substring(colon + 1), false);
        }
        return new ImageRef(image, "latest", false);
    }

    /** The full reference, e.g. {@code debian:12} or {@code repo@sha256:...}. */
    String reference() {
        return repository + (digest ? "@" : ":") + tag;
    }
}
