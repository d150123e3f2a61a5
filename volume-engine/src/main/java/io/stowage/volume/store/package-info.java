/**
 * The object store contract (put exclusive, ranged get, list, delete, guarded header commit) and the embedded
 * local-directory store.
 *
 * <p>Threads: stores are thread-safe.
 */
package io.stowage.volume.store;
