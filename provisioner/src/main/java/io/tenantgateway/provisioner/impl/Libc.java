package io.tenantgateway.provisioner.impl;

import java.io.IOException;
import jnr.constants.platform.Errno;
import jnr.constants.platform.Signal;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.Passwd;

/**
 * The two C library calls the provisioner makes itself: sending a signal and looking up a user.
 * Spawning {@code kill} or {@code id} for them cost a process start each, which showed in the CPU
 * profile when many pools started and stopped at once.
 */
final class Libc {

  private static final POSIX POSIX = POSIXFactory.getNativePOSIX();

  private Libc() {
  }

  /**
   * @param pid the process
   * @param signal the signal to send
   * @throws IOException when kill(2) fails (the process is gone, or not ours)
   */
  static void signal(long pid, Signal signal) throws IOException {
    if (POSIX.kill((int) pid, signal.intValue()) != 0) {
      Errno errno = Errno.valueOf(POSIX.errno());
      throw new IOException("kill(" + pid + ", " + signal.name() + "): " + errno.name() + " (" + errno + ")");
    }
  }

  /**
   * A user's ids.
   *
   * @param uid the uid
   * @param gid the primary gid
   * @param gecos the comment field
   */
  record Account(long uid, long gid, String gecos) {
  }

  /**
   * Synchronized: getpwnam(3) fills one static buffer, so two pools starting at once on two
   * worker threads could each read the other's uid (seen in a test and in a benchmark, where a
   * pool's master then ran as another tenant's uid). The JDK's own lookups use getpwnam_r.
   *
   * @param name a user name
   * @return its ids, or null when there is no such user
   */
  static synchronized Account user(String name) {
    Passwd entry = POSIX.getpwnam(name);
    return entry == null ? null : new Account(entry.getUID(), entry.getGID(), entry.getGECOS());
  }
}
