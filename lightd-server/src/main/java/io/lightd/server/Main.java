package io.lightd.server;

import com.google.gson.JsonObject;
import io.lightd.server.auth.MasterTokenWatcher;
import io.lightd.server.config.ConfigException;
import io.lightd.server.config.ConfigKeys;
import io.lightd.server.config.ConfigLoader;
import io.lightd.server.config.LightdConfig;
import io.lightd.server.credential.Tokens;
import io.lightd.server.logging.LogOutput;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * {@code lightd [--config PATH] [--runtime docker|process] [--token what|reset|set]}: starts the
 * daemon, or shows or changes the master token in the config file and exits. A started daemon runs
 * until SIGTERM or SIGINT, then shuts down gracefully and exits 0.
 */
public final class Main {

    static final String USAGE = """
            usage: lightd [--config PATH] [--runtime docker|process]
                   lightd [--config PATH] --token what|reset|set
                   lightd --help | --version

              --config PATH     configuration file (default ./config.json; created with defaults
                                and a fresh random token when missing)
              --runtime KIND    run with this runtime instead of the configured one
              --token what      print the master token
              --token reset     replace the master token with a fresh random one and print it; a
                                running lightd switches to it at once and closes the sessions
                                opened with the old one (4003)
              --token set       read a new master token from standard input (it must start
                                with lightd_ and be at least 20 characters)
              --help, -h        print this help
              --version         print the version
            """;

    private static final List<String> TOKEN_ACTIONS = List.of("what", "reset", "set");

    /**
     * The Logback configuration the command line logs with, a resource of lightd's jar; named so
     * that Logback never picks it up by itself, and an application that embeds lightd keeps its own
     * {@code logback.xml}. {@code -Dlogback.configurationFile=PATH} still replaces it.
     */
    public static final String LOGBACK_CONFIGURATION = "/lightd-logback.xml";

    private Main() {
    }

    /**
     * The entry point of {@code lightd.jar}: runs {@link #run} and exits the JVM with its status.
     *
     * @param args the command line, as {@link #USAGE} describes it
     */
    public static void main(String[] args) {
        // Before anything logs: Logback reads its configuration once, at the first logger.
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIGURATION.substring(1));
        }
        System.exit(run(args, System.out, System.err));
    }

    /**
     * The whole command line without {@code System.exit}. A started daemon blocks the calling thread
     * here until SIGTERM or SIGINT (or its listening socket closes), then shuts down.
     *
     * @param args the command line, as {@link #USAGE} describes it
     * @param out  where help, the version and printed tokens go
     * @param err  where usage and start-up errors go (prefixed {@code lightd: })
     * @return the exit status: 0 after help, a version, a token command done or a graceful stop; 2 for
     *         bad usage, a refused new token or an unusable configuration; 1 when the daemon cannot
     *         start otherwise
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Path config = Path.of("config.json");
        String tokenAction = null;
        LightdConfig.RuntimeKind runtime = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--help", "-h" -> {
                    out.print(USAGE);
                    return 0;
                }
                case "--version" -> {
                    out.println("lightd " + LightdServer.version());
                    return 0;
                }
                case "--config", "--token", "--runtime" -> {
                    if (i + 1 >= args.length) {
                        err.println("lightd: " + arg + " needs a value");
                        err.print(USAGE);
                        return 2;
                    }
                    String value = args[++i];
                    if (arg.equals("--config")) {
                        config = Path.of(value);
                    } else if (arg.equals("--token")) {
                        tokenAction = value;
                    } else {
                        try {
                            runtime = LightdConfig.RuntimeKind.valueOf(value.toUpperCase(Locale.ROOT));
                        } catch (IllegalArgumentException e) {
                            err.println("lightd: --runtime must be docker or process (got " + value + ")");
                            return 2;
                        }
                    }
                }
                default -> {
                    err.println("lightd: unknown option " + arg);
                    err.print(USAGE);
                    return 2;
                }
            }
        }
        try {
            if (tokenAction != null) {
                return token(config, tokenAction, out, err);
            }
            LightdConfig loaded = ConfigLoader.loadOrCreate(config);
            LogOutput.level(loaded.logging().level());
            LogOutput.use(loaded.logging().format());
            for (String unknown : ConfigLoader.unknownKeys(ConfigLoader.read(config))) {
                LoggerFactory.getLogger(Main.class).warn("{}: unknown key {} ignored (a misspelling? the keys are "
                        + "in the README's configuration table)", config, unknown);
            }
            LightdServer server = LightdServer.start(runtime == null ? loaded : loaded.withRuntime(runtime));
            MasterTokenWatcher tokenWatcher;
            try {
                tokenWatcher = MasterTokenWatcher.start(config, server.tokens());
            } catch (IOException e) {
                server.close();
                throw e;
            }
            AtomicBoolean stopped = new AtomicBoolean();
            Runnable shutdown = () -> {
                if (stopped.compareAndSet(false, true)) {
                    tokenWatcher.close();
                    server.close();
                }
            };
            // For exits the signal handling does not see (System.exit, SIGHUP, a JVM started with -Xrs).
            Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "lightd-shutdown"));
            CompletableFuture<String> stop = new CompletableFuture<>();
            TerminationSignals.completeOnSignal(stop);
            server.serverChannel().closeFuture().addListener(f -> stop.complete("the listening socket closed"));
            // Looked up only here: the token commands print to standard output and must not start logging.
            LoggerFactory.getLogger(Main.class).info("stopping: {}", stop.join());
            shutdown.run();
            return 0;
        } catch (ConfigException e) {
            err.println("lightd: " + e.getMessage());
            return 2;
        } catch (IOException | RuntimeException e) {
            err.println("lightd: cannot start: " + e.getMessage());
            return 1;
        }
    }

    private static int token(Path config, String action, PrintStream out, PrintStream err) throws ConfigException {
        if (!TOKEN_ACTIONS.contains(action)) {
            err.println("lightd: --token takes what, reset or set (got " + action + ")");
            return 2;
        }
        boolean created = !Files.exists(config);
        ConfigLoader.loadOrCreate(config);
        if (created) {
            err.println("lightd: created " + config + " with the defaults and a fresh master token");
        }
        JsonObject json = ConfigLoader.read(config);
        String current = ConfigKeys.AUTHORIZATION_TOKEN.read(json);
        switch (action) {
            case "what" -> {
                out.println(current);
                return 0;
            }
            case "reset" -> {
                String fresh = Tokens.generate();
                ConfigKeys.AUTHORIZATION_TOKEN.write(json, fresh);
                ConfigLoader.write(config, json);
                out.println(fresh);
                err.println("lightd: master token replaced in " + config
                        + "; a running lightd switches to it at once");
                return 0;
            }
            case "set" -> {
                String fresh;
                try {
                    fresh = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
                } catch (IOException e) {
                    throw new ConfigException("cannot read the new token from standard input: " + e.getMessage());
                }
                fresh = fresh == null ? "" : fresh.trim();
                String problem = Tokens.masterTokenProblem(fresh);
                if (problem != null) {
                    err.println("lightd: the new token " + problem);
                    return 2;
                }
                ConfigKeys.AUTHORIZATION_TOKEN.write(json, fresh);
                ConfigLoader.write(config, json);
                err.println("lightd: master token set in " + config + "; a running lightd switches to it at once");
                return 0;
            }
            default -> throw new IllegalStateException("unchecked --token action " + action);
        }
    }
}
