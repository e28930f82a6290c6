import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.apache.solr.core.CoreContainer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Runs a real Solr 9 node for the portal's local development and tests.
 *
 * <p>Usage: {@code java -cp 'lib/*' Launcher.java SOLR_HOME PORT LOG_FILE}. Solr reports a core
 * that fails to load only in its log and keeps serving, so this launcher checks the core
 * container after start-up and exits non-zero, naming the log, when any core failed.
 */
public class Launcher {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: Launcher SOLR_HOME PORT LOG_FILE");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    String log = args[2];
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      System.err.println("solr: no solr.xml in " + home);
      System.exit(2);
    }
    JettyConfig config =
        JettyConfig.builder()
            .setPort(port)
            .setContext("/solr")
            .stopAtShutdown(true)
            .withPortRetryTime(0)
            .waitForLoadingCoresToFinish(120_000L)
            .build();
    JettySolrRunner solr = new JettySolrRunner(home.toString(), new Properties(), config);
    try {
      solr.start();
    } catch (Exception e) {
      System.err.println("solr: could not start on 127.0.0.1:" + port + " (" + e + "); see " + log);
      System.exit(1);
    }
    CoreContainer cores = solr.getCoreContainer();
    Map<String, CoreContainer.CoreLoadFailure> failures = cores.getCoreInitFailures();
    if (!failures.isEmpty() || !cores.getAllCoreNames().contains("ckan")) {
      for (Map.Entry<String, CoreContainer.CoreLoadFailure> f : failures.entrySet()) {
        System.err.println("solr: core '" + f.getKey() + "' failed to load: " + f.getValue().exception);
      }
      System.err.println("solr: the ckan core is not loaded; see " + log);
      solr.stop();
      System.exit(3);
    }
    System.out.println("solr: ready on http://127.0.0.1:" + solr.getLocalPort() + "/solr/ckan");
    Thread.currentThread().join();
  }
}
