package io.stowage.node.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Set;

/**
 * The admin API's bearer token, kept in a file only its owner may read (0600: the daemon's user, and root). Made
 * at first start (256 random bits, hex) if the file is absent; a file others can read is refused, as a config
 * holding CHAP secrets is. The CLI reads the same file.
 */
public final class AdminToken {
    private final byte[] token;

    private AdminToken(String token) {
        this.token = token.getBytes(StandardCharsets.US_ASCII);
    }

    /** The token in {@code file}, made there (0600) if the file does not exist. */
    public static AdminToken loadOrCreate(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String t = HexFormat.of().formatHex(random);
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
            try {
                // created 0600 from the start: never readable by others, not even for a moment
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, t + "\n");
            } catch (FileAlreadyExistsException e) {
                // another start made it meanwhile: read it
            }
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.contains(PosixFilePermission.OTHERS_READ) || perms.contains(PosixFilePermission.GROUP_READ)) {
            throw new IOException("config key 'admin.token-file': " + file + " is readable by other users; chmod 600 "
                    + file);
        }
        String t = Files.readString(file).strip();
        if (t.length() < 16) {
            throw new IOException("config key 'admin.token-file': " + file + " holds no token (16 characters or more)");
        }
        return new AdminToken(t);
    }

    /** Whether {@code presented} is the token, in time that does not depend on where they differ. */
    boolean matches(String presented) {
        return presented != null
                && MessageDigest.isEqual(token, presented.strip().getBytes(StandardCharsets.US_ASCII));
    }
}
