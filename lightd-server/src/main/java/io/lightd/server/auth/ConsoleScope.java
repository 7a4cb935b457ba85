package io.lightd.server.auth;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import io.lightd.server.record.InternalIds;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a console token opens: the internal ids of the containers it covers (null = every
 * container) and its permissions ({@link Permission#CONSOLE} always among them). Immutable and
 * thread-safe. The same JSON shapes serve {@code POST /auth/tokens}, the token store's file and a
 * signed token's {@code containers} and {@code permissions} claims.
 *
 * @param containers the {@code internal_id}s covered, in the order given, or null for every container
 * @param permissions what a session may do; {@link Permission#CONSOLE} is always among them
 */
public record ConsoleScope(Set<String> containers, Set<Permission> permissions) {

    /** Every container, every permission: the master token, and an issued token that names neither. */
    public static final ConsoleScope ALL = new ConsoleScope(null, EnumSet.allOf(Permission.class));

    /** Most container ids one token may name. */
    public static final int MAX_CONTAINERS = 1000;

    /**
     * Copies the sets into unmodifiable ones and adds {@link Permission#CONSOLE}.
     *
     * @param containers the covered ids, or null for every container
     * @param permissions the permissions granted; not null
     */
    public ConsoleScope {
        containers = containers == null ? null : Collections.unmodifiableSet(new LinkedHashSet<>(containers));
        EnumSet<Permission> p = EnumSet.of(Permission.CONSOLE);
        p.addAll(permissions);
        permissions = Collections.unmodifiableSet(p);
    }

    /**
     * Whether this scope opens the console of a container.
     *
     * @param internalId the container's {@code internal_id}
     * @return true when it is covered (always, for every container)
     */
    public boolean covers(String internalId) {
        return containers == null || containers.contains(internalId);
    }

    /**
     * Whether a session with this scope may do what {@code permission} names.
     *
     * @param permission the permission an inbound frame needs
     * @return true when granted
     */
    public boolean allows(Permission permission) {
        return permissions.contains(permission);
    }

    /**
     * Whether this scope opens every container with every permission: what the seed protocol's tokens
     * could do (such a scope is stored without the two fields).
     *
     * @return true for the unrestricted scope
     */
    public boolean isUnrestricted() {
        return containers == null && permissions.size() == Permission.values().length;
    }

    /**
     * Reads the two fields; a null (absent) field means every container or every permission.
     *
     * @throws IllegalArgumentException with a user-facing text naming the field: not a list of
     *     strings, an empty list, an invalid id, an unknown permission
     *
     * @param containers the {@code containers} field (a list of {@code internal_id}s, at most
     *                   {@link #MAX_CONTAINERS}), or null or JSON null for every container
     * @param permissions the {@code permissions} field (a list of wire names, {@code power} for all four
     *                    power permissions), or null or JSON null for every permission
     * @return the scope
     */
    public static ConsoleScope fromJson(JsonElement containers, JsonElement permissions) {
        Set<String> ids = null;
        if (containers != null && !containers.isJsonNull()) {
            ids = new LinkedHashSet<>();
            for (String id : strings("containers", containers)) {
                if (!InternalIds.isValid(id)) {
                    throw new IllegalArgumentException("containers: invalid id \"" + shorten(id) + "\": "
                            + InternalIds.problem());
                }
                ids.add(id);
            }
            if (ids.size() > MAX_CONTAINERS) {
                throw new IllegalArgumentException("containers: at most " + MAX_CONTAINERS + " ids");
            }
        }
        Set<Permission> granted = EnumSet.allOf(Permission.class);
        if (permissions != null && !permissions.isJsonNull()) {
            granted = EnumSet.noneOf(Permission.class);
            for (String name : strings("permissions", permissions)) {
                granted.addAll(Permission.fromWireName(name).orElseThrow(() -> new IllegalArgumentException(
                        "permissions: unknown permission \"" + shorten(name) + "\" (known: console, command, "
                                + "power, power.start, power.stop, power.restart, power.kill)")));
            }
        }
        return new ConsoleScope(ids, granted);
    }

    /**
     * The container ids as JSON, for the token file and answers.
     *
     * @return a JSON array of ids in their order, or {@link JsonNull#INSTANCE} for every container
     */
    public JsonElement containersJson() {
        if (containers == null) {
            return JsonNull.INSTANCE;
        }
        JsonArray a = new JsonArray();
        containers.forEach(a::add);
        return a;
    }

    /**
     * The permissions as JSON, for the token file and answers.
     *
     * @return a new JSON array of wire names in declaration order, {@code console} first
     */
    public JsonArray permissionsJson() {
        JsonArray a = new JsonArray();
        permissions.forEach(p -> a.add(p.wireName()));
        return a;
    }

    private static List<String> strings(String field, JsonElement e) {
        if (!e.isJsonArray()) {
            throw new IllegalArgumentException(field + " must be a list of strings");
        }
        if (e.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException(field + " must not be empty (leave it out for "
                    + (field.equals("containers") ? "every container" : "every permission") + ")");
        }
        List<String> values = new ArrayList<>();
        for (JsonElement item : e.getAsJsonArray()) {
            if (!item.isJsonPrimitive() || !((JsonPrimitive) item).isString()) {
                throw new IllegalArgumentException(field + " must be a list of strings");
            }
            values.add(item.getAsString());
        }
        return values;
    }

    private static String shorten(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "…";
    }
}
