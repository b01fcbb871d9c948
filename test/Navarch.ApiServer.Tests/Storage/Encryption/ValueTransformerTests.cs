using System.Security.Cryptography;
using System.Text;
using Navarch.ApiServer.Storage.Encryption;

namespace Navarch.ApiServer.Tests.Storage.Encryption;

/// <summary>The providers' transformations: round trips, kube-apiserver's stored layout, published test vectors, tampering.</summary>
[Trait("Category", "Unit")]
public sealed class ValueTransformerTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("/registry/secrets/default/db");
    private static readonly byte[] Plain = Encoding.UTF8.GetBytes("""{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}""");

    public static TheoryData<string, int> Providers => new()
    {
        { "aescbc", 16 }, { "aescbc", 24 }, { "aescbc", 32 }, { "aesgcm", 16 }, { "aesgcm", 32 }, { "secretbox", 32 },
    };

    [Theory]
    [MemberData(nameof(Providers))]
    public void Each_provider_round_trips_behind_kube_apiservers_prefix(string type, int keySize)
    {
        IValueTransformer transformer = Configured(type, ("key1", keySize));

        byte[] stored = transformer.ToStorage(Plain, Key);

        string prefix = $"k8s:enc:{type}:v1:key1:";
        Assert.StartsWith(prefix, Encoding.ASCII.GetString(stored, 0, prefix.Length), StringComparison.Ordinal);
        Assert.Equal(-1, stored.AsSpan().IndexOf("aHVudGVyMg=="u8));
        Assert.Equal(Plain, transformer.FromStorage(stored, Key, out bool stale));
        Assert.False(stale);
        // A random IV or nonce: the same value never encrypts the same way twice.
        Assert.NotEqual(stored, transformer.ToStorage(Plain, Key));
    }

    [Theory]
    [InlineData("aescbc", 16, 16)]
    [InlineData("aesgcm", 12, 16)]
    [InlineData("secretbox", 24, 16)]
    public void The_body_after_the_prefix_is_iv_or_nonce_then_ciphertext_as_kube_apiserver_writes(string type, int ivSize, int overhead)
    {
        IValueTransformer transformer = Configured(type, ("k", 32));
        byte[] stored = transformer.ToStorage(Plain, Key);
        int body = stored.Length - $"k8s:enc:{type}:v1:k:".Length;

        // CBC pads to whole blocks (PKCS#7 always adds at least one byte); GCM and secretbox add a 16-byte tag.
        int expected = type == "aescbc" ? ivSize + ((Plain.Length / 16) + 1) * 16 : ivSize + Plain.Length + overhead;
        Assert.Equal(expected, body);
    }

    [Fact]
    public void Aescbc_reads_a_value_encrypted_by_plain_aes_cbc_with_pkcs7()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32), iv = RandomNumberGenerator.GetBytes(16);
        using var aes = Aes.Create();
        aes.Key = key;
        byte[] value = [.. iv, .. aes.EncryptCbc(Plain, iv, PaddingMode.PKCS7)];

        Assert.Equal(Plain, new AesCbcTransformer(key).FromStorage(value, Key, out _));
    }

    [Fact]
    public void Aesgcm_matches_the_gcm_specifications_test_case_4()
    {
        // McGrew and Viega, "The Galois/Counter Mode of Operation", test case 4: 128-bit key, 96-bit IV, 20 bytes of AAD.
        byte[] key = Convert.FromHexString("feffe9928665731c6d6a8f9467308308");
        byte[] iv = Convert.FromHexString("cafebabefacedbaddecaf888");
        byte[] aad = Convert.FromHexString("feedfacedeadbeeffeedfacedeadbeefabaddad2");
        byte[] plain = Convert.FromHexString("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
        byte[] cipher = Convert.FromHexString("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091");
        byte[] tag = Convert.FromHexString("5bc94fbc3221a5db94fae95ae7121a47");

        Assert.Equal(plain, new AesGcmTransformer(key).FromStorage([.. iv, .. cipher, .. tag], aad, out _));
    }

    [Fact]
    public void Secretbox_matches_nacls_crypto_secretbox_test_vector()
    {
        // NaCl's tests/secretbox.c (Bernstein): the box is the 16-byte Poly1305 tag, then the XSalsa20 ciphertext.
        byte[] key = Convert.FromHexString("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
        byte[] nonce = Convert.FromHexString("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
        byte[] message = Convert.FromHexString("be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705");
        byte[] box = Convert.FromHexString("f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c97271d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5");

        var transformer = new SecretboxTransformer(key);
        Assert.Equal(message, transformer.FromStorage([.. nonce, .. box], [], out _));
        byte[] sealedAgain = transformer.ToStorage(message, []);
        Assert.Equal(message, transformer.FromStorage(sealedAgain, [], out _));
    }

    [Theory]
    [MemberData(nameof(Providers))]
    public void A_tampered_or_truncated_value_or_a_wrong_key_does_not_read(string type, int keySize)
    {
        IValueTransformer transformer = Configured(type, ("key1", keySize));
        byte[] stored = transformer.ToStorage(Plain, Key);

        IValueTransformer otherKey = Configured(type, ("key1", keySize));
        Assert.Throws<ValueTransformException>(() => transformer.FromStorage(stored.AsSpan(0, stored.Length - 1), Key, out _));
        if (type == "aescbc")
        {
            // CBC has no integrity check: a wrong key usually fails the padding check, but may yield garbage instead.
            byte[]? garbage = null;
            try
            {
                garbage = otherKey.FromStorage(stored, Key, out _);
            }
            catch (ValueTransformException)
            {
            }

            Assert.NotEqual(Plain, garbage);
            return;
        }

        // GCM and secretbox authenticate: a wrong key or any changed byte is refused.
        Assert.Throws<ValueTransformException>(() => otherKey.FromStorage(stored, Key, out _));
        byte[] flipped = (byte[])stored.Clone();
        flipped[^1] ^= 1;
        Assert.Throws<ValueTransformException>(() => transformer.FromStorage(flipped, Key, out _));
    }

    [Fact]
    public void Aesgcm_authenticates_the_storage_key_so_a_value_copied_elsewhere_does_not_read()
    {
        IValueTransformer transformer = Configured("aesgcm", ("k", 32));
        byte[] stored = transformer.ToStorage(Plain, Key);

        ValueTransformException e = Assert.Throws<ValueTransformException>(() => transformer.FromStorage(stored, "/registry/secrets/attacker/copy"u8, out _));
        Assert.Contains("authentication failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_key_writes_and_later_keys_still_read_marked_stale()
    {
        byte[] oldKey = RandomNumberGenerator.GetBytes(32), newKey = RandomNumberGenerator.GetBytes(32);
        IValueTransformer before = Transformer(Config("aescbc", ("old", oldKey)));
        IValueTransformer after = Transformer(Config("aescbc", ("new", newKey), ("old", oldKey)));
        byte[] written = before.ToStorage(Plain, Key);

        Assert.Equal(Plain, after.FromStorage(written, Key, out bool stale));
        Assert.True(stale);
        byte[] rewritten = after.ToStorage(Plain, Key);
        Assert.StartsWith("k8s:enc:aescbc:v1:new:", Encoding.ASCII.GetString(rewritten), StringComparison.Ordinal);
        Assert.Equal(Plain, after.FromStorage(rewritten, Key, out stale));
        Assert.False(stale);
    }

    [Fact]
    public void Identity_first_reads_plain_values_and_still_decrypts_old_ones()
    {
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var keys = new ProviderConfiguration("aescbc", [new EncryptionKey("k", Convert.ToBase64String(key))]);
        IValueTransformer encrypting = Transformer(new EncryptionConfiguration([new ResourceConfiguration(["secrets"], [keys, new ProviderConfiguration("identity", [])])]));
        IValueTransformer disabled = Transformer(new EncryptionConfiguration([new ResourceConfiguration(["secrets"], [new ProviderConfiguration("identity", []), keys])]));
        byte[] encrypted = encrypting.ToStorage(Plain, Key);

        Assert.Equal(Plain, disabled.ToStorage(Plain, Key));
        Assert.Equal(Plain, disabled.FromStorage(Plain, Key, out bool stale));
        Assert.False(stale);
        Assert.Equal(Plain, disabled.FromStorage(encrypted, Key, out stale));
        Assert.True(stale);
        Assert.Equal(Plain, encrypting.FromStorage(Plain, Key, out stale));
        Assert.True(stale);
    }

    [Fact]
    public void Encrypted_data_no_provider_matches_is_refused_with_kube_apiservers_messages()
    {
        byte[] stored = Configured("aescbc", ("k", 32)).ToStorage(Plain, Key);

        Assert.Equal("identity transformer tried to read encrypted data", Assert.Throws<ValueTransformException>(() => IdentityTransformer.Instance.FromStorage(stored, Key, out _)).Message);
        Assert.Equal("no matching prefix found", Assert.Throws<ValueTransformException>(() => Configured("aesgcm", ("k", 32)).FromStorage(stored, Key, out _)).Message);
        Assert.Equal("no matching key was found for the provided AES transformer", Assert.Throws<ValueTransformException>(() => Configured("aescbc", ("other", 32)).FromStorage(stored, Key, out _)).Message);
    }

    private static IValueTransformer Configured(string type, params (string Name, int Size)[] keys) =>
        Transformer(Config(type, keys.Select(k => (k.Name, RandomNumberGenerator.GetBytes(k.Size))).ToArray()));

    private static EncryptionConfiguration Config(string type, params (string Name, byte[] Key)[] keys) =>
        new([new ResourceConfiguration(["secrets"], [new ProviderConfiguration(type, keys.Select(k => new EncryptionKey(k.Name, Convert.ToBase64String(k.Key))).ToList())])]);

    private static IValueTransformer Transformer(EncryptionConfiguration configuration) =>
        ResourceTransformers.Create(configuration).For(new GroupResource("", "secrets"));
}
