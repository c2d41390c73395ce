/* Oracle for the maven comparator: Maven's ComparableVersion over a file of hex-encoded pairs. */
import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.apache.maven.artifact.versioning.ComparableVersion;

public class MavenOracle {
    static String unhex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return new String(b, StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        PrintWriter out = new PrintWriter(System.out);
        try (BufferedReader r = new BufferedReader(new InputStreamReader(new FileInputStream(args[0]), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String[] p = line.split(" ", -1);
                int c = new ComparableVersion(unhex(p[0])).compareTo(new ComparableVersion(unhex(p[1])));
                out.println(Integer.signum(c) + " 1 1");
            }
        }
        out.flush();
    }
}
