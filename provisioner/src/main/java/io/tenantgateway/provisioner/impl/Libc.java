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
      throw new IOException("kill(" + pid + ", " + signal.name() + "): " + Errno.valueOf(POSIX.errno()));
    }
  }

  /**
   * @param name a user name
   * @return its passwd entry, or null when there is no such user
   */
  static Passwd user(String name) {
    return POSIX.getpwnam(name);
  }
}
