package io.lightd.runtime;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Docker's grammar of an image reference, as the engine reads the create body's {@code image}
 * (distribution's {@code reference} package, which the engine and the Docker CLI use):
 *
 * <pre>
 * reference        := name [ ":" tag ] [ "@" digest ]
 * name             := [domain "/"] path-component ["/" path-component]*
 * domain           := host [":" port-number]
 * host             := domain-name | "[" IPv6address "]"
 * domain-name      := domain-component ["." domain-component]*
 * domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 * port-number      := /[0-9]+/
 * path-component   := alpha-numeric [separator alpha-numeric]{@literal *}
 * alpha-numeric    := /[a-z0-9]+/
 * separator        := /[_.]|__|[-]+/
 * tag              := /[\w][\w.-]{0,127}/
 * digest           := algorithm ":" hex
 * algorithm        := algorithm-part [/[-_+.]/ algorithm-part]*
 * algorithm-part   := /[A-Za-z][A-Za-z0-9]{@literal *}/
 * hex              := /[0-9a-fA-F]{32,}/
 * </pre>
 *
 * and the name at most 255 characters. The repository path is lower case; only the registry's host
 * may have capitals. A pure function of its argument; any thread.
 */
public final class ImageReference {

    /** The longest name (registry and path, without tag or digest), as distribution has it. */
    public static final int NAME_TOTAL_LENGTH_MAX = 255;

    private static final String ALPHA_NUMERIC = "[a-z0-9]+";
    private static final String SEPARATOR = "(?:[._]|__|-+)";
    private static final String PATH_COMPONENT = ALPHA_NUMERIC + "(?:" + SEPARATOR + ALPHA_NUMERIC + ")*";
    private static final String DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    private static final String HOST = "(?:" + DOMAIN_COMPONENT + "(?:\\." + DOMAIN_COMPONENT + ")*"
            + "|\\[[a-fA-F0-9:]+\\])";
    private static final String DOMAIN = HOST + "(?::[0-9]+)?";
    private static final String NAME = "(?:" + DOMAIN + "/)?" + PATH_COMPONENT + "(?:/" + PATH_COMPONENT + ")*";
    private static final String TAG = "[\\w][\\w.-]{0,127}";
    private static final String DIGEST = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
    private static final Pattern REFERENCE = Pattern.compile("(" + NAME + ")(?::(" + TAG + "))?(?:@(" + DIGEST + "))?");

    private ImageReference() {
    }

    /**
     * Why {@code image} is not a reference the engine would take, in the words of the create body's
     * errors ({@code image ...}), or null when it is one.
     *
     * @param image the image reference as the create or reinstall body gives it; may be null
     * @return the error text without {@code Error: }, e.g. {@code image "X" is not a valid image
     *         reference: the repository name must be lowercase}, or null when valid
     */
    public static String problem(String image) {
        if (image == null || image.isEmpty()) {
            return "image must be a non-empty string";
        }
        var m = REFERENCE.matcher(image);
        if (!m.matches()) {
            if (REFERENCE.matcher(image.toLowerCase(Locale.ROOT)).matches()) {
                return "image " + quoted(image)
                        + " is not a valid image reference: the repository name must be lowercase";
            }
            return "image " + quoted(image) + " is not a valid image reference (name[:tag][@digest], e.g. debian:12)";
        }
        if (m.group(1).length() > NAME_TOTAL_LENGTH_MAX) {
            return "image is not a valid image reference: its name is longer than " + NAME_TOTAL_LENGTH_MAX
                    + " characters";
        }
        return null;
    }

    /** The value in quotes for an error text, cut after 80 characters. */
    private static String quoted(String image) {
        return "\"" + (image.length() > 80 ? image.substring(0, 80) + "…" : image) + "\"";
    }

    /**
     * Whether {@code image} follows the grammar.
     *
     * @param image the image reference; may be null
     * @return true when {@link #problem} finds nothing
     */
    public static boolean isValid(String image) {
        return problem(image) == null;
    }
}
