package io.lightd.server.it;

/**
 * The lifecycle scenarios of {@link LifecycleScenarios} with the process runtime: signals go to the
 * server's process group, and the memory limit is enforced from the stats samples.
 */
class ProcessLifecycleIntegrationTest extends LifecycleScenarios {

    @Override
    Daemon.Runtime runtime() {
        return Daemon.Runtime.PROCESS;
    }
}
