package org.fedsum.crypto;

import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM text (RFC 7468) for certificates ({@code CERTIFICATE}, §5) and CRLs ({@code X509 CRL}, §6).
 *
 * <p>Encoding writes the strict form of RFC 7468 §3: 64-character base64 lines, LF line ends.
 * Decoding is strict too: only whitespace may surround the blocks, every block must end with the
 * matching END line, its body must be padded base64 with no headers, and the decoded bytes must be
 * exactly one DER object of the expected kind. Error messages name the block and the broken rule,
 * never the content, so a private key pasted in the wrong place is not echoed into a log.
 */
public final class Pem {
  static final String CERTIFICATE = "CERTIFICATE";
  static final String CRL = "X509 CRL";
  static final String PRIVATE_KEY = "PRIVATE KEY";

  private static final int LINE_LENGTH = 64;
  private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([A-Z0-9 ]{1,40})-----");
  private static final Pattern END = Pattern.compile("-----END ([A-Z0-9 ]{1,40})-----");

  private Pem() {}

  /** One decoded PEM block; {@link #der()} hands out the block's own array, no copy. */
  static final class Block {
    private final String label;
    private final byte[] der;

    Block(String label, byte[] der) {
      this.label = label;
      this.der = der;
    }

    String label() {
      return label;
    }

    byte[] der() {
      return der;
    }
  }

  /** PEM of one certificate. */
  public static String encodeCertificate(X509Certificate certificate) {
    Objects.requireNonNull(certificate, "certificate");
    try {
      return encode(CERTIFICATE, certificate.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalArgumentException("certificate has no DER encoding", e);
    }
  }

  /**
   * Decodes text holding exactly one {@code CERTIFICATE} block.
   *
   * @throws GeneralSecurityException naming what is malformed
   */
  public static X509Certificate decodeCertificate(String pem) throws GeneralSecurityException {
    List<X509Certificate> certificates = decodeCertificates(pem);
    if (certificates.size() != 1) {
      throw new CertificateException(
          "expected exactly one CERTIFICATE block, found " + certificates.size());
    }
    return certificates.get(0);
  }

  /**
   * Decodes text holding one or more {@code CERTIFICATE} blocks (a chain or a bundle), in order.
   *
   * @throws GeneralSecurityException naming what is malformed
   */
  public static List<X509Certificate> decodeCertificates(String pem)
      throws GeneralSecurityException {
    List<Block> blocks = decodeBlocks(pem);
    List<X509Certificate> certificates = new ArrayList<>(blocks.size());
    for (int i = 0; i < blocks.size(); i++) {
      Block block = blocks.get(i);
      String where = "PEM block " + (i + 1);
      requireLabel(block, CERTIFICATE, where);
      X509Certificate certificate;
      try {
        certificate =
            (X509Certificate)
                certificateFactory().generateCertificate(new ByteArrayInputStream(block.der()));
      } catch (CertificateException | RuntimeException e) {
        throw new CertificateException(where + " is not a valid X.509 certificate", e);
      }
      // The factory stops after one certificate; comparing catches appended bytes.
      if (!Arrays.equals(certificate.getEncoded(), block.der())) {
        throw new CertificateException(where + " has bytes after the certificate");
      }
      certificates.add(certificate);
    }
    return List.copyOf(certificates);
  }

  /** PEM of one CRL. */
  public static String encodeCrl(X509CRL crl) {
    Objects.requireNonNull(crl, "crl");
    try {
      return encode(CRL, crl.getEncoded());
    } catch (CRLException e) {
      throw new IllegalArgumentException("CRL has no DER encoding", e);
    }
  }

  /**
   * Decodes text holding exactly one {@code X509 CRL} block.
   *
   * @throws GeneralSecurityException naming what is malformed
   */
  public static X509CRL decodeCrl(String pem) throws GeneralSecurityException {
    Block block = decodeSingle(pem, CRL);
    X509CRL crl;
    try {
      crl = (X509CRL) certificateFactory().generateCRL(new ByteArrayInputStream(block.der()));
    } catch (CRLException | RuntimeException e) {
      throw new CRLException("PEM block 1 is not a valid X.509 CRL", e);
    }
    if (!Arrays.equals(crl.getEncoded(), block.der())) {
      throw new CRLException("PEM block 1 has bytes after the CRL");
    }
    return crl;
  }

  /** Writes {@code der} as one PEM block with {@code label}. */
  static String encode(String label, byte[] der) {
    String base64 = Base64.getEncoder().encodeToString(der);
    StringBuilder pem = new StringBuilder(base64.length() + base64.length() / LINE_LENGTH + 64);
    pem.append("-----BEGIN ").append(label).append("-----\n");
    for (int i = 0; i < base64.length(); i += LINE_LENGTH) {
      pem.append(base64, i, Math.min(base64.length(), i + LINE_LENGTH)).append('\n');
    }
    pem.append("-----END ").append(label).append("-----\n");
    return pem.toString();
  }

  /** Decodes text that must hold exactly one block, labelled {@code label}. */
  static Block decodeSingle(String pem, String label) throws GeneralSecurityException {
    List<Block> blocks = decodeBlocks(pem);
    if (blocks.size() != 1) {
      throw new GeneralSecurityException(
          "expected exactly one " + label + " PEM block, found " + blocks.size());
    }
    requireLabel(blocks.get(0), label, "PEM block 1");
    return blocks.get(0);
  }

  private static void requireLabel(Block block, String label, String where)
      throws GeneralSecurityException {
    if (!block.label().equals(label)) {
      throw new GeneralSecurityException(
          where + " is labelled " + block.label() + ", expected " + label);
    }
  }

  /**
   * Splits {@code pem} into blocks. Line numbers and labels (a restricted alphabet) are the only
   * parts of the input that messages quote.
   */
  static List<Block> decodeBlocks(String pem) throws GeneralSecurityException {
    Objects.requireNonNull(pem, "pem");
    String[] lines = pem.split("\r\n|\r|\n", -1);
    List<Block> blocks = new ArrayList<>();
    String label = null;
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      int lineNumber = i + 1;
      if (label == null) {
        if (line.isEmpty()) {
          continue;
        }
        Matcher begin = BEGIN.matcher(line);
        if (!begin.matches()) {
          throw new GeneralSecurityException(
              "PEM line " + lineNumber + " is neither blank nor a -----BEGIN line");
        }
        label = begin.group(1);
        body.setLength(0);
      } else if (line.startsWith("-----")) {
        Matcher end = END.matcher(line);
        if (!end.matches() || !end.group(1).equals(label)) {
          throw new GeneralSecurityException(
              "PEM line " + lineNumber + " should be -----END " + label + "-----");
        }
        blocks.add(new Block(label, decodeBase64(body, label, blocks.size() + 1)));
        label = null;
      } else {
        body.append(line);
      }
    }
    if (label != null) {
      throw new GeneralSecurityException("PEM block " + label + " has no -----END line");
    }
    if (blocks.isEmpty()) {
      throw new GeneralSecurityException("no PEM block found");
    }
    return blocks;
  }

  private static byte[] decodeBase64(CharSequence body, String label, int blockNumber)
      throws GeneralSecurityException {
    String where = "PEM block " + blockNumber + " (" + label + ")";
    if (body.length() == 0) {
      throw new GeneralSecurityException(where + " is empty");
    }
    if (body.length() % 4 != 0) {
      throw new GeneralSecurityException(where + " is not padded base64");
    }
    try {
      return Base64.getDecoder().decode(body.toString());
    } catch (IllegalArgumentException e) {
      // No cause: the decoder's message quotes the offending character.
      throw new GeneralSecurityException(where + " is not valid base64");
    }
  }

  private static CertificateFactory certificateFactory() throws CertificateException {
    return CertificateFactory.getInstance("X.509");
  }
}
