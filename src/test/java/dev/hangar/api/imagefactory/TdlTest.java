package dev.hangar.api.imagefactory;

import dev.hangar.core.builds.ImageTemplate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hangar.core.HangarException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TDL as Image Factory's clients write it, and the mistakes they make, each named by its element. */
public class TdlTest {
    public static final String SEED = "<template><name>f14jeos</name><os>   <name>Fedora</name> <version>14</version> <arch>x86_64</arch> <install"
            + " type='url'> <url>http://download.fedoraproject.org/pub/fedora/linux/releases/14/Fedora/x86_64/os/</url></install>"
            + "<rootpw>p@55w0rd!</rootpw>  </os><description>Fedora 14</description></template>";

    static final String DEBIAN = """
            <template>
              <name>web</name>
              <os><name>Debian</name><version>bookworm</version><arch>x86_64</arch>
                <install type='url'><url>http://deb.debian.org/debian</url></install><rootpw>secret</rootpw></os>
              <description>a web server</description>
              <disk><size>3G</size></disk>
              <packages><package name='busybox'/></packages>
              <files>
                <file name='/srv/www/index.html' type='raw'>built by hangar</file>
                <file name='/etc/motd' type='base64'>aGVsbG8K</file>
              </files>
              <commands><command name='enable'>systemctl enable www.service</command></commands>
              <repositories><repository name='extra'><url>http://deb.debian.org/debian bookworm-updates main</url><signed>yes</signed></repository></repositories>
            </template>""";

    @Test
    void theSeedsOwnTemplateReads() {
        ImageTemplate t = Tdl.parse(SEED);
        assertEquals("f14jeos", t.name());
        assertEquals(new ImageTemplate.Os("Fedora", "14", "x86_64", ImageTemplate.InstallType.URL,
                "http://download.fedoraproject.org/pub/fedora/linux/releases/14/Fedora/x86_64/os/", "p@55w0rd!"), t.os());
        assertEquals("Fedora 14", t.description());
    }

    @Test
    void everyElementReadsAndWritingGivesTheSameTemplateBack() {
        ImageTemplate t = Tdl.parse(DEBIAN);
        assertEquals(List.of("busybox"), t.packages());
        assertEquals(3L, t.diskSizeGib());
        assertEquals(new ImageTemplate.TemplateFile("/etc/motd", ImageTemplate.Encoding.BASE64, "aGVsbG8K"), t.files().get(1));
        assertEquals(new ImageTemplate.TemplateCommand("enable", "systemctl enable www.service"), t.commands().getFirst());
        assertTrue(t.repositories().getFirst().signed());
        assertEquals(t, Tdl.parse(Tdl.write(t)));
    }

    @Test
    void mistakesAreInvalidTemplateNamingTheElement() {
        assertEquals("<os/name>: os needs a name", message(SEED.replace("<name>Fedora</name>", "")));
        assertTrue(message(SEED.replace("type='url'", "type='floppy'")).startsWith("<os/install>: type must be url or iso"));
        assertTrue(message(SEED.replace("http://download", "ftp://download")).startsWith("<os/install>"));
        assertTrue(message(DEBIAN.replace("/srv/www/index.html", "srv/x")).startsWith("<files/file>"));
        assertTrue(message(DEBIAN.replace("aGVsbG8K", "%%%")).startsWith("<files/file>"));
        assertTrue(message(DEBIAN.replace("name='busybox'", "name='busy box; rm -rf /'")).startsWith("<packages/package>"));
        assertTrue(message(DEBIAN.replace("3G", "three")).startsWith("<disk/size>"));
        assertTrue(message("<image/>").startsWith("<template>: the root element"));
        assertTrue(message("<template><name>x</name>").startsWith("<template>: not well-formed XML"));
    }

    @Test
    void aDoctypeIsRefusedSoNoEntityOrFileIsEverRead() {
        String xxe = "<?xml version='1.0'?><!DOCTYPE t [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><template><name>&x;</name></template>";
        HangarException e = assertThrows(HangarException.class, () -> Tdl.parse(xxe));
        assertEquals("invalid-template", e.code());
        assertTrue(!e.getMessage().contains("root:"), e.getMessage());
    }

    private static String message(String xml) {
        HangarException e = assertThrows(HangarException.class, () -> Tdl.parse(xml));
        assertEquals("invalid-template", e.code());
        return e.getMessage();
    }
}
