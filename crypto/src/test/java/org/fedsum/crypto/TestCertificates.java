package org.fedsum.crypto;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

/**
 * Builds deliberately unusual certificates for tests, signed by a real CA key, so that {@link
 * FederationTrust} can be shown to refuse what {@link FederationCa} would never issue. Test code
 * may use Bouncy Castle directly; main code outside {@code internal} may not.
 */
final class TestCertificates {
  private final X509Certificate issuer;
  private final EcdsaP256SigningKey issuerKey;
  private String subject = "CN=odd-site";
  private BigInteger serialNumber = BigInteger.valueOf(4242);
  private Instant notBefore = Instant.now().minusSeconds(600);
  private Instant notAfter = Instant.now().plusSeconds(86_400);
  private byte[] subjectPublicKeyInfo;
  private final List<GeneralName> alternativeNames = new ArrayList<>();
  private Integer keyUsage = KeyUsage.digitalSignature;
  private boolean unknownCriticalExtension;
  private boolean signatureParametersNull;

  private TestCertificates(X509Certificate issuer, EcdsaP256SigningKey issuerKey) {
    this.issuer = issuer;
    this.issuerKey = issuerKey;
    this.subjectPublicKeyInfo = issuerKey.verifyingKey().toSubjectPublicKeyInfo();
  }

  /** A builder for a certificate issued by {@code ca}. */
  static TestCertificates issuedBy(FederationCa ca) throws Exception {
    return new TestCertificates(
        ca.certificate(), EcdsaP256SigningKey.fromPkcs8Pem(ca.privateKeyPem(SecretAccess.GRANTED)));
  }

  TestCertificates subject(String value) {
    subject = value;
    return this;
  }

  TestCertificates serialNumber(long value) {
    serialNumber = BigInteger.valueOf(value);
    return this;
  }

  TestCertificates subjectKey(EcdsaP256VerifyingKey key) {
    subjectPublicKeyInfo = key.toSubjectPublicKeyInfo();
    return this;
  }

  TestCertificates subjectPublicKeyInfo(byte[] der) {
    subjectPublicKeyInfo = der.clone();
    return this;
  }

  TestCertificates uri(String uri) {
    alternativeNames.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
    return this;
  }

  TestCertificates dnsName(String name) {
    alternativeNames.add(new GeneralName(GeneralName.dNSName, name));
    return this;
  }

  /** A KeyUsage bit mask from {@link KeyUsage}, or null to omit the extension. */
  TestCertificates keyUsage(Integer bits) {
    keyUsage = bits;
    return this;
  }

  TestCertificates unknownCriticalExtension() {
    unknownCriticalExtension = true;
    return this;
  }

  /** Writes the signature algorithm with explicit NULL parameters, which RFC 5758 forbids. */
  TestCertificates signatureParametersNull() {
    signatureParametersNull = true;
    return this;
  }

  X509Certificate build() throws Exception {
    X509v3CertificateBuilder builder =
        new X509v3CertificateBuilder(
            X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
            serialNumber,
            Date.from(notBefore),
            Date.from(notAfter),
            new X500Name(subject),
            SubjectPublicKeyInfo.getInstance(subjectPublicKeyInfo));
    builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
    if (keyUsage != null) {
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
    }
    if (!alternativeNames.isEmpty()) {
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(alternativeNames.toArray(new GeneralName[0])));
    }
    if (unknownCriticalExtension) {
      builder.addExtension(new ASN1ObjectIdentifier("1.3.6.1.4.1.99999.1"), true, DERNull.INSTANCE);
    }
    AlgorithmIdentifier algorithm =
        signatureParametersNull
            ? new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256, DERNull.INSTANCE)
            : new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
    byte[] der = builder.build(signer(algorithm)).getEncoded();
    return parse(der);
  }

  static X509Certificate parse(byte[] der) throws CertificateException {
    return (X509Certificate)
        CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  private ContentSigner signer(AlgorithmIdentifier algorithm) {
    ByteArrayOutputStream toBeSigned = new ByteArrayOutputStream();
    return new ContentSigner() {
      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return algorithm;
      }

      @Override
      public OutputStream getOutputStream() {
        return toBeSigned;
      }

      @Override
      public byte[] getSignature() {
        return issuerKey.sign(toBeSigned.toByteArray());
      }
    };
  }

  static byte[] encoded(X509Certificate certificate) {
    try {
      return certificate.getEncoded();
    } catch (CertificateException e) {
      throw new IllegalStateException(e);
    }
  }
}
