package io.stowage.iscsi.session;

import io.stowage.scsi.ScsiResult;
import io.stowage.scsi.ScsiStatus;
import io.stowage.iscsi.login.SessionParameters;
import io.stowage.iscsi.pdu.Pdu;
import io.stowage.iscsi.pdu.TargetPdus;
import java.nio.ByteBuffer;

/**
 * Turns the SCSI layer's answer to a task into PDUs (RFC 7143 §11.4, §11.7): Data-In split by the initiator's
 * MaxRecvDataSegmentLength and ended (F) at each MaxBurstLength boundary, status collapsed into the last Data-In
 * when it is GOOD (a status with sense goes in its own SCSI Response), and the residual (O/U) from the EDTL.
 * The result's buffer is released once its last Data-In has been written. Each status PDU's StatSN is noted
 * with the {@link StatusSequencer} for ABORT TASK.
 *
 * <p>Threads: whichever thread the SCSI layer answers on; one call per task, so the task's Data-In counter is
 * not shared. It allocates nothing per Data-In beyond the PDU and its slice of the result's buffer.
 */
final class DataInSender {
    private final Connection connection;
    private final StatusSequencer sequencer;

    DataInSender(Connection connection, StatusSequencer sequencer) {
        this.connection = connection;
        this.sequencer = sequencer;
    }

    void respond(Task task, ScsiResult result, SessionParameters params) {
        int status = result.status();
        int wanted = result.transferLength();
        int residualFlags = 0;
        int residual = 0;
        if (status == ScsiStatus.GOOD) {
            long expected = task.read || task.write ? task.edtl : 0;
            if (wanted > expected) {
                residualFlags = 0x04; // O: overflow (§11.4.5)
                residual = (int) (wanted - expected);
            } else if (wanted < expected) {
                residualFlags = 0x02; // U: underflow
                residual = (int) (expected - wanted);
            }
        }
        ByteBuffer data = result.dataIn();
        int toSend = task.read && data != null ? Math.min(data.remaining(), task.edtl) : 0;
        if (toSend == 0) {
            result.release();
            sequencer.sendAll(connection.session(), new Pdu[] {TargetPdus.scsiResponse(task.itt, status,
                    residualFlags, residual, task.r2tSn, result.sense())}, 0, null);
            return;
        }
        boolean collapse = status == ScsiStatus.GOOD; // §11.7.1: status rides on the last Data-In only without sense
        int mrdsl = params.initiatorMaxRecvDataSegmentLength();
        int burst = params.maxBurstLength();
        int base = data.position();
        // all Data-In of the task and its status are queued as one unit: one gathering socket write when idle
        int count = 0;
        for (int offset = 0; offset < toSend; count++) {
            offset += Math.min(Math.min(mrdsl, toSend - offset), (offset / burst + 1) * burst - offset);
        }
        Pdu[] pdus = new Pdu[collapse ? count : count + 1];
        int offset = 0;
        for (int i = 0; i < count; i++) {
            int n = Math.min(mrdsl, toSend - offset);
            // a Data-In sequence may not exceed MaxBurstLength: end it (F) at each burst boundary
            int burstEnd = (offset / burst + 1) * burst;
            n = Math.min(n, burstEnd - offset);
            boolean last = offset + n == toSend;
            ByteBuffer slice = data.slice(base + offset, n);
            pdus[i] = TargetPdus.dataIn(task.itt, task.lunField, slice, task.dataInPdus++, offset,
                    last || offset + n == burstEnd, last && collapse, status, residualFlags, residual);
            offset += n;
        }
        if (!collapse) {
            pdus[count] = TargetPdus.scsiResponse(task.itt, status, residualFlags, residual, task.dataInPdus,
                    result.sense());
        }
        sequencer.sendAll(connection.session(), pdus, pdus.length - 1, result::release);
    }
}
