package dev.hangar.api.imagefactory;

import dev.hangar.core.SafeXml;
import dev.hangar.core.builds.ImageTemplate;
import dev.hangar.core.builds.ImageTemplate.Encoding;
import dev.hangar.core.builds.ImageTemplate.InstallType;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * Oz's Template Description Language, the XML templates Image Factory takes: read into an
 * {@link ImageTemplate} (which the core keeps) and written back (the form this face shows). The JDK's
 * parser, with DOCTYPEs refused: a template never pulls in entities or files. The Image Factory face's,
 * not the core's; the composition root hands the reader to the template fetcher and to the store (for
 * rows written before templates were kept parsed).
 */
public final class Tdl {
    private Tdl() {}

    /** 400 invalid-template naming the element at fault when the text is no valid template. */
    public static ImageTemplate parse(String xml) {
        Element root;
        try {
            root = builder().parse(new InputSource(new StringReader(xml))).getDocumentElement();
        } catch (SAXException e) {
            throw ImageTemplate.invalid("template", "not well-formed XML: " + e.getMessage());
        } catch (java.io.IOException e) {
            throw ImageTemplate.invalid("template", "unreadable: " + e.getMessage());
        }
        if (!root.getTagName().equals("template")) throw ImageTemplate.invalid("template", "the root element must be <template>, not <" + root.getTagName() + ">");
        Element os = child(root, "os");
        ImageTemplate.Os theOs = null;
        if (os != null) {
            Element install = child(os, "install");
            InstallType type = null;
            String location = null;
            if (install != null) {
                String t = install.getAttribute("type").toLowerCase(Locale.ROOT);
                type = switch (t) {
                    case "url" -> InstallType.URL;
                    case "iso" -> InstallType.ISO;
                    default -> throw ImageTemplate.invalid("os/install", "type must be url or iso, not \"" + t + "\"");
                };
                location = text(install, type == InstallType.URL ? "url" : "iso");
            }
            theOs = new ImageTemplate.Os(text(os, "name"), text(os, "version"), text(os, "arch"), type, location, text(os, "rootpw"));
        }
        List<String> packages = new ArrayList<>();
        for (Element p : children(child(root, "packages"), "package")) {
            String name = p.getAttribute("name");
            if (name.isEmpty()) throw ImageTemplate.invalid("packages/package", "a package needs a name attribute");
            packages.add(name);
        }
        List<ImageTemplate.TemplateFile> files = new ArrayList<>();
        for (Element f : children(child(root, "files"), "file")) {
            String type = f.getAttribute("type").isEmpty() ? "raw" : f.getAttribute("type").toLowerCase(Locale.ROOT);
            Encoding encoding = switch (type) {
                case "raw" -> Encoding.RAW;
                case "base64" -> Encoding.BASE64;
                case "url" -> Encoding.URL;
                default -> throw ImageTemplate.invalid("files/file", "type must be raw, base64 or url, not \"" + type + "\"");
            };
            files.add(new ImageTemplate.TemplateFile(f.getAttribute("name"), encoding, f.getTextContent()));
        }
        List<ImageTemplate.TemplateCommand> commands = new ArrayList<>();
        for (Element c : children(child(root, "commands"), "command")) {
            commands.add(new ImageTemplate.TemplateCommand(c.getAttribute("name"), c.getTextContent()));
        }
        List<ImageTemplate.Repository> repositories = new ArrayList<>();
        for (Element r : children(child(root, "repositories"), "repository")) {
            String signed = text(r, "signed");
            repositories.add(new ImageTemplate.Repository(r.getAttribute("name"), text(r, "url"),
                    signed != null && (signed.equalsIgnoreCase("yes") || signed.equalsIgnoreCase("true"))));
        }
        Long size = null;
        Element disk = child(root, "disk");
        if (disk != null && text(disk, "size") != null) size = diskSize(text(disk, "size"));
        return new ImageTemplate(text(root, "name"), text(root, "description"), theOs, packages, files, commands, repositories, size)
                .validated();
    }

    /** Oz takes a size in GB, with or without a G suffix. */
    private static long diskSize(String s) {
        String n = s.strip().toUpperCase(Locale.ROOT).replaceFirst("G(B|IB)?$", "");
        try {
            return Long.parseLong(n);
        } catch (NumberFormatException e) {
            throw ImageTemplate.invalid("disk/size", "the size is a whole number of GB (\"10\" or \"10G\"), not \"" + s + "\"");
        }
    }

    /** The template as TDL; parse(write(t)) gives t back. */
    public static String write(ImageTemplate t) {
        try {
            Document doc = builder().newDocument();
            Element root = doc.createElement("template");
            doc.appendChild(root);
            add(root, "name", t.name());
            if (t.os() != null) {
                Element os = add(root, "os", null);
                add(os, "name", t.os().name());
                add(os, "version", t.os().version());
                add(os, "arch", t.os().arch());
                if (t.os().installType() != null) {
                    Element install = add(os, "install", null);
                    install.setAttribute("type", t.os().installType() == InstallType.URL ? "url" : "iso");
                    add(install, t.os().installType() == InstallType.URL ? "url" : "iso", t.os().installLocation());
                }
                add(os, "rootpw", t.os().rootPassword());
            }
            add(root, "description", t.description());
            if (t.diskSizeGib() != null) add(add(root, "disk", null), "size", String.valueOf(t.diskSizeGib()));
            if (!t.packages().isEmpty()) {
                Element ps = add(root, "packages", null);
                for (String p : t.packages()) add(ps, "package", null).setAttribute("name", p);
            }
            if (!t.files().isEmpty()) {
                Element fs = add(root, "files", null);
                for (ImageTemplate.TemplateFile f : t.files()) {
                    Element e = add(fs, "file", f.content());
                    e.setAttribute("name", f.path());
                    e.setAttribute("type", f.encoding().name().toLowerCase(Locale.ROOT));
                }
            }
            if (!t.commands().isEmpty()) {
                Element cs = add(root, "commands", null);
                for (ImageTemplate.TemplateCommand c : t.commands()) {
                    Element e = add(cs, "command", c.text());
                    if (c.name() != null && !c.name().isEmpty()) e.setAttribute("name", c.name());
                }
            }
            if (!t.repositories().isEmpty()) {
                Element rs = add(root, "repositories", null);
                for (ImageTemplate.Repository r : t.repositories()) {
                    Element e = add(rs, "repository", null);
                    if (r.name() != null && !r.name().isEmpty()) e.setAttribute("name", r.name());
                    add(e, "url", r.url());
                    add(e, "signed", r.signed() ? "yes" : "no");
                }
            }
            Transformer out = TransformerFactory.newInstance().newTransformer();
            out.setOutputProperty(OutputKeys.OMIT_XML_DECLARATION, "yes");
            StringWriter w = new StringWriter();
            out.transform(new DOMSource(doc), new StreamResult(w));
            return w.toString();
        } catch (TransformerException e) {
            throw new IllegalStateException(e);
        }
    }

    private static DocumentBuilder builder() {
        return dev.hangar.core.SafeXml.builder(false);
    }

    private static Element add(Element parent, String name, String text) {
        Element e = parent.getOwnerDocument().createElement(name);
        if (text != null) e.setTextContent(text);
        parent.appendChild(e);
        return e;
    }

    private static Element child(Element parent, String name) {
        if (parent == null) return null;
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) return e;
        }
        return null;
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> out = new ArrayList<>();
        if (parent == null) return out;
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) out.add(e);
        }
        return out;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? null : e.getTextContent().strip();
    }
}
