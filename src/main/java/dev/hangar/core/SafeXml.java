package dev.hangar.core;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

/**
 * The one way Hangar parses XML a client or an image sent (TDLs, OVF descriptors, provider credentials):
 * no DOCTYPE (so no entity of any kind and no external fetch), no XInclude, and the JDK's limits set
 * here explicitly rather than left to the JDK's defaults, which differ (Java 21 has no limit on element
 * depth, Java 25 one of 100): a document nested past {@value #MAX_DEPTH} elements is refused, so no
 * parser and no recursive reader of its tree (the credentials' leaves) runs deep.
 */
public final class SafeXml {
    public static final int MAX_DEPTH = 64;
    private static final String JDK = "http://www.oracle.com/xml/jaxp/properties/";

    private SafeXml() {}

    /** A fresh builder (builders are not thread-safe): errors throw, nothing is printed. */
    public static DocumentBuilder builder(boolean namespaceAware) {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(namespaceAware);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature("http://xml.org/sax/features/external-general-entities", false);
            f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
            f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
            // 0 means "no limit" to the JDK: every limit here is a small positive number.
            f.setAttribute(JDK + "maxElementDepth", String.valueOf(MAX_DEPTH));
            f.setAttribute(JDK + "entityExpansionLimit", "64");
            f.setAttribute(JDK + "totalEntitySizeLimit", "4096");
            f.setAttribute(JDK + "maxGeneralEntitySizeLimit", "1024");
            f.setAttribute(JDK + "maxParameterEntitySizeLimit", "1024");
            f.setAttribute(JDK + "elementAttributeLimit", "64");
            f.setAttribute(JDK + "maxXMLNameLimit", "256");
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            DocumentBuilder b = f.newDocumentBuilder();
            b.setErrorHandler(new org.xml.sax.helpers.DefaultHandler()); // errors become exceptions, not lines on stderr
            return b;
        } catch (ParserConfigurationException | IllegalArgumentException e) {
            throw new IllegalStateException("this JDK's XML parser takes no secure settings: " + e.getMessage(), e);
        }
    }
}
