package org.fedsum.crypto.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.CertificateList;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.util.IPAddress;

/**
 * Builds the federation's X.509 certificates and CRLs (RFC 5280) with Bouncy Castle's ASN.1
 * builders, signed ecdsa-with-SHA256 (RFC 5758 §3.2) by a callback that returns a DER ECDSA
 * signature over the to-be-signed bytes, so the CA's private key never enters this class. Results
 * are parsed back by the JDK's {@code X.509} certificate factory.
 */
public final class Pkix {
  private static final AlgorithmIdentifier SIGNATURE_ALGORITHM =
      new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
  // RFC 7093 §2 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey bits.
  private static final int KEY_IDENTIFIER_LENGTH = 20;
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  private static final int MAX_DNS_NAME_LENGTH = 253;

  private Pkix() {}

  /** One entry of a CRL. */
  public record Revocation(BigInteger serialNumber, Instant revokedAt) {
    /** Checks the fields. */
    public Revocation {
      Objects.requireNonNull(serialNumber, "serialNumber");
      Objects.requireNonNull(revokedAt, "revokedAt");
    }
  }

  /**
   * A self-signed CA certificate: BasicConstraints CA with path length 0 and KeyUsage keyCertSign +
   * cRLSign, both critical; subject key identifier.
   */
  public static X509Certificate caCertificate(
      String commonName,
      BigInteger serialNumber,
      Instant notBefore,
      Instant notAfter,
      byte[] subjectPublicKeyInfo,
      UnaryOperator<byte[]> signer) {
    X500Name name = commonName(commonName);
    SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(subjectPublicKeyInfo);
    byte[] keyIdentifier = keyIdentifier(publicKey);
    X509v3CertificateBuilder builder =
        new X509v3CertificateBuilder(
            name, serialNumber, Date.from(notBefore), Date.from(notAfter), name, publicKey);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyIdentifier));
    } catch (CertIOException e) {
      throw new IllegalStateException("bug: cannot encode a CA certificate extension", e);
    }
    return toCertificate(builder.build(contentSigner(signer)));
  }

  /**
   * An end-entity certificate: subject CN, SAN with {@code identityUri} and one dNSName or
   * iPAddress per host name, KeyUsage digitalSignature (critical), ExtendedKeyUsage clientAuth
   * (plus serverAuth if asked), BasicConstraints CA=false (critical), authority and subject key
   * identifiers.
   *
   * @throws IllegalArgumentException if a host name is neither a DNS name nor an IP literal, or
   *     appears twice
   */
  public static X509Certificate siteCertificate(
      X509Certificate issuer,
      String commonName,
      BigInteger serialNumber,
      Instant notBefore,
      Instant notAfter,
      byte[] subjectPublicKeyInfo,
      String identityUri,
      List<String> hostNames,
      boolean serverAuth,
      UnaryOperator<byte[]> signer) {
    SubjectPublicKeyInfo publicKey = SubjectPublicKeyInfo.getInstance(subjectPublicKeyInfo);
    List<GeneralName> names = new ArrayList<>();
    names.add(new GeneralName(GeneralName.uniformResourceIdentifier, identityUri));
    Set<String> seen = new HashSet<>();
    for (String hostName : hostNames) {
      if (!seen.add(hostName.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("host name " + hostName + " is listed twice");
      }
      names.add(hostName(hostName));
    }
    KeyPurposeId[] purposes =
        serverAuth
            ? new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}
            : new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth};
    X509v3CertificateBuilder builder =
        new X509v3CertificateBuilder(
            X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
            serialNumber,
            Date.from(notBefore),
            Date.from(notAfter),
            commonName(commonName),
            publicKey);
    try {
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purposes));
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(new GeneralName[0])));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          new SubjectKeyIdentifier(keyIdentifier(publicKey)));
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          new AuthorityKeyIdentifier(issuerKeyIdentifier(issuer)));
    } catch (CertIOException e) {
      throw new IllegalStateException("bug: cannot encode a certificate extension", e);
    }
    return toCertificate(builder.build(contentSigner(signer)));
  }

  /**
   * A version 2 CRL with a CRL number and the issuer's key identifier (RFC 5280 §5.2.1, §5.2.3).
   */
  public static X509CRL crl(
      X509Certificate issuer,
      Instant thisUpdate,
      Instant nextUpdate,
      BigInteger crlNumber,
      List<Revocation> revocations,
      UnaryOperator<byte[]> signer) {
    X509v2CRLBuilder builder =
        new X509v2CRLBuilder(
            X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
            Date.from(thisUpdate));
    builder.setNextUpdate(Date.from(nextUpdate));
    for (Revocation revocation : revocations) {
      builder.addCRLEntry(
          revocation.serialNumber(), Date.from(revocation.revokedAt()), (Extensions) null);
    }
    try {
      builder.addExtension(Extension.cRLNumber, false, new CRLNumber(crlNumber));
      builder.addExtension(
          Extension.authorityKeyIdentifier,
          false,
          new AuthorityKeyIdentifier(issuerKeyIdentifier(issuer)));
    } catch (CertIOException e) {
      throw new IllegalStateException("bug: cannot encode a CRL extension", e);
    }
    return toCrl(builder.build(contentSigner(signer)));
  }

  /**
   * True if both signature algorithm fields of the certificate (outer and inside the signed part)
   * are exactly ecdsa-with-SHA256 without parameters, as RFC 5758 §3.2 requires. The JDK reports
   * absent and NULL parameters alike, so this reads the encoding itself.
   */
  public static boolean isSignedWithEcdsaSha256(X509Certificate certificate) {
    try {
      Certificate parsed = Certificate.getInstance(certificate.getEncoded());
      return isBareEcdsaSha256(parsed.getSignatureAlgorithm())
          && isBareEcdsaSha256(parsed.getTBSCertificate().getSignature());
    } catch (CertificateException | RuntimeException e) {
      return false;
    }
  }

  /** As {@link #isSignedWithEcdsaSha256(X509Certificate)}, for a CRL. */
  public static boolean isSignedWithEcdsaSha256(X509CRL crl) {
    try {
      CertificateList parsed = CertificateList.getInstance(crl.getEncoded());
      return isBareEcdsaSha256(parsed.getSignatureAlgorithm())
          && isBareEcdsaSha256(parsed.getTBSCertList().getSignature());
    } catch (CRLException | RuntimeException e) {
      return false;
    }
  }

  private static boolean isBareEcdsaSha256(AlgorithmIdentifier algorithm) {
    return X9ObjectIdentifiers.ecdsa_with_SHA256.equals(algorithm.getAlgorithm())
        && algorithm.getParameters() == null;
  }

  /**
   * The CRL number extension of {@code crl} (RFC 5280 §5.2.3).
   *
   * @throws CRLException if it is absent or malformed
   */
  public static BigInteger crlNumber(X509CRL crl) throws CRLException {
    byte[] extension = crl.getExtensionValue(Extension.cRLNumber.getId());
    if (extension == null) {
      throw new CRLException("CRL has no CRL number");
    }
    try {
      ASN1Primitive value =
          ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(extension).getOctets());
      BigInteger number = ASN1Integer.getInstance(value).getValue();
      if (number.signum() < 0) {
        throw new CRLException("CRL number is negative");
      }
      return number;
    } catch (IOException | RuntimeException e) {
      throw new CRLException("CRL number is malformed", e);
    }
  }

  private static X500Name commonName(String commonName) {
    return new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
  }

  private static GeneralName hostName(String hostName) {
    if (IPAddress.isValidIPv4(hostName) || IPAddress.isValidIPv6(hostName)) {
      return new GeneralName(GeneralName.iPAddress, hostName);
    }
    if (!isDnsName(hostName)) {
      throw new IllegalArgumentException(
          "host name " + hostName + " is neither a DNS name nor an IPv4 or IPv6 literal");
    }
    return new GeneralName(GeneralName.dNSName, hostName.toLowerCase(Locale.ROOT));
  }

  // LDH labels (RFC 5890 §2.3.1, lower-cased); an all-numeric last label would read as a mistyped
  // IPv4 address, so it is refused (RFC 3696 §2). No wildcards: each site has its own names.
  private static boolean isDnsName(String hostName) {
    String name = hostName.toLowerCase(Locale.ROOT);
    if (name.isEmpty() || name.length() > MAX_DNS_NAME_LENGTH) {
      return false;
    }
    String[] labels = name.split("\\.", -1);
    for (String label : labels) {
      if (!DNS_LABEL.matcher(label).matches()) {
        return false;
      }
    }
    return !labels[labels.length - 1].chars().allMatch(c -> c >= '0' && c <= '9');
  }

  private static byte[] keyIdentifier(SubjectPublicKeyInfo publicKey) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(publicKey.getPublicKeyData().getBytes());
      return Arrays.copyOf(hash, KEY_IDENTIFIER_LENGTH);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("bug: SHA-256 missing from the JDK", e);
    }
  }

  // The issuer's own subject key identifier when it has one (a CA made elsewhere may use another
  // method), else computed as for our own certificates.
  private static byte[] issuerKeyIdentifier(X509Certificate issuer) {
    byte[] extension = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (extension != null) {
      try {
        return SubjectKeyIdentifier.getInstance(
                ASN1Primitive.fromByteArray(ASN1OctetString.getInstance(extension).getOctets()))
            .getKeyIdentifier();
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException("issuer's subject key identifier is malformed", e);
      }
    }
    return keyIdentifier(SubjectPublicKeyInfo.getInstance(issuer.getPublicKey().getEncoded()));
  }

  private static ContentSigner contentSigner(UnaryOperator<byte[]> signer) {
    return new ContentSigner() {
      private final ByteArrayOutputStream toBeSigned = new ByteArrayOutputStream();

      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return SIGNATURE_ALGORITHM;
      }

      @Override
      public OutputStream getOutputStream() {
        return toBeSigned;
      }

      @Override
      public byte[] getSignature() {
        return signer.apply(toBeSigned.toByteArray());
      }
    };
  }

  private static X509Certificate toCertificate(X509CertificateHolder holder) {
    try {
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(holder.getEncoded()));
    } catch (IOException | CertificateException e) {
      throw new IllegalStateException("bug: the JDK cannot read a certificate FedSum built", e);
    }
  }

  private static X509CRL toCrl(X509CRLHolder holder) {
    try {
      return (X509CRL)
          CertificateFactory.getInstance("X.509")
              .generateCRL(new ByteArrayInputStream(holder.getEncoded()));
    } catch (IOException | CertificateException | CRLException e) {
      throw new IllegalStateException("bug: the JDK cannot read a CRL FedSum built", e);
    }
  }
}
