package io.lightd.server.hub;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/**
 * Measures how many bytes a server's volume holds: the apparent sizes (the bytes a read would
 * return, {@code st_size}) of its regular files, found by a walk of the folder that never follows a
 * symbolic link (a link counts as itself, so a server cannot make the daemon walk, or charge it for,
 * what lies outside its volume). A file with several hard links in the volume counts once (by its
 * {@linkplain BasicFileAttributes#fileKey() file key}, device and inode). Files that vanish or cannot
 * be read during the walk are skipped.
 *
 * <p>Apparent, not allocated: Java reads a file's allocated blocks ({@code st_blocks}) only through
 * native code, so a sparse file counts at its full length and a small file at its exact bytes rather
 * than whole blocks (as {@code du --apparent-size -b}, not {@code du}).
 *
 * <p>This is a check, not a quota: the server can write past its limit between two checks (every
 * {@code limits.disk_check_seconds}), and is then stopped. A hard limit that no write could pass
 * needs the file system's own quota: project quotas (XFS {@code prjquota}, ext4 with the
 * {@code project} feature) set on each volume folder, or one loop-mounted image per volume, both of
 * which need root set-up of the host's file systems that lightd cannot assume. Pterodactyl's Wings
 * makes the same choice for the same reason.
 *
 * <p>Blocking: call it on the blocking executor. Stateless.
 */
final class DiskUsage {

    private DiskUsage() {
    }

    /** The bytes under {@code root} (0 when it does not exist). */
    static long measure(Path root) {
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        long[] total = new long[1];
        Set<Object> linked = new HashSet<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && countsOnce(file, attrs, linked)) {
                        total[0] += attrs.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // The walk tolerates failures per file; the root itself vanished: what was seen counts.
        }
        return total[0];
    }

    /**
     * False for a further hard link of a file already counted. Only files with more than one link
     * are remembered, so the walk holds few keys however many files the volume has.
     */
    private static boolean countsOnce(Path file, BasicFileAttributes attrs, Set<Object> linked) {
        Object key = attrs.fileKey();
        if (key == null) {
            return true;
        }
        try {
            Object links = Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
            if (!(links instanceof Integer n) || n <= 1) {
                return true;
            }
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return linked.add(key); // no link count: remember every key
        }
        return linked.add(key);
    }
}
