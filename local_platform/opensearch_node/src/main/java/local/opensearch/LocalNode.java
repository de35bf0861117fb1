package local.opensearch;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node in this JVM, built from Maven Central jars instead of the distribution tarball.
 *
 * <p>Why a {@link Node} subclass: the public constructor only loads plugins from a plugins directory,
 * which a Maven classpath does not have; the protected one accepts plugin classes, which is how the
 * Netty 4 transport (HTTP and transport) and the common analysis module get in. The distribution's
 * bootstrap checks, security manager and JVM ergonomics are deliberately absent: this node is for one
 * developer's machine and tests.
 *
 * <p>Usage: {@code LocalNode READY_FILE PARENT_PID key=value...}. Every {@code key=value} is an
 * OpenSearch setting. After the node has started, the bound HTTP address is written to READY_FILE as
 * JSON (atomically, so a reader never sees half a file). PARENT_PID, when not 0, is watched from the
 * first moment: if that process dies the node shuts down and deletes its home (path.home), so a killed
 * test run leaves neither a JVM nor its data behind, even when it dies while the node is starting. SIGTERM closes the node cleanly through the shutdown hook; deleting the home
 * is then the caller's job, which may still want the log.
 */
public final class LocalNode extends Node {

    private static final AtomicBoolean ORPHANED = new AtomicBoolean(false);

    private LocalNode(Settings settings) {
        super(
            InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "local"),
            List.of(Netty4Plugin.class, CommonAnalysisPlugin.class),
            true
        );
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: LocalNode READY_FILE PARENT_PID [key=value ...]");
            System.exit(64);
        }
        Path readyFile = Paths.get(args[0]);
        long parentPid = Long.parseLong(args[1]);
        Settings.Builder builder = Settings.builder();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("not a key=value setting: " + args[i]);
                System.exit(64);
            }
            builder.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }

        // OpenSearch's own threads are daemons: like its Bootstrap, hold the JVM open until shutdown.
        CountDownLatch stopped = new CountDownLatch(1);
        Settings settings = builder.build();
        Path home = Paths.get(Environment.PATH_HOME_SETTING.get(settings));
        AtomicReference<LocalNode> running = new AtomicReference<>();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                LocalNode node = running.get();
                if (node != null) {
                    node.close();
                    node.awaitClose(10, TimeUnit.SECONDS);
                }
                if (ORPHANED.get()) {
                    deleteTree(home);
                }
            } catch (IOException | InterruptedException e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "local-node-shutdown"));
        if (parentPid != 0) {
            watchParent(parentPid);
        }

        LocalNode node = new LocalNode(settings);
        running.set(node);
        node.start();

        TransportAddress http = node.injector()
            .getInstance(HttpServerTransport.class)
            .boundAddress()
            .publishAddress();
        String json = String.format(
            "{\"http_host\": \"%s\", \"http_port\": %d, \"pid\": %d}%n",
            http.getAddress(), http.getPort(), ProcessHandle.current().pid()
        );
        Path tmp = readyFile.resolveSibling(readyFile.getFileName() + ".tmp");
        Files.write(tmp, json.getBytes(StandardCharsets.UTF_8));
        Files.move(tmp, readyFile, StandardCopyOption.ATOMIC_MOVE);
        stopped.await();
    }

    /** Exit (running the shutdown hook) once the process that started us is gone. */
    private static void watchParent(long parentPid) {
        Thread watcher = new Thread(() -> {
            while (ProcessHandle.of(parentPid).map(ProcessHandle::isAlive).orElse(false)) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.err.println("parent process " + parentPid + " is gone; stopping the node");
            ORPHANED.set(true);
            System.exit(0);
        }, "local-node-parent-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted((a, b) -> b.compareTo(a))::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }
}
