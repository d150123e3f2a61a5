/**
 * iSCSI PDU wire format (RFC 7143 §11): the 48-byte Basic Header Segment, additional header segments, optional
 * CRC32C header and data digests, and the padded data segment.
 *
 * <p>{@link io.stowage.iscsi.pdu.PduDecoder} reassembles PDUs from an arbitrarily split byte stream;
 * {@link io.stowage.iscsi.pdu.PduEncoder} writes them. A decoded {@link io.stowage.iscsi.pdu.Pdu} may view the
 * receive buffer directly: it is valid only during the callback that delivers it, and a consumer that needs its
 * bytes later copies them.
 *
 * <p>Threads: a decoder belongs to one connection and is driven by one thread at a time.
 */
package io.stowage.iscsi.pdu;
