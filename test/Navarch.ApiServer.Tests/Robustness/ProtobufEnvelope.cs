using Google.Protobuf;

namespace Navarch.ApiServer.Tests.Robustness;

/// <summary>Kubernetes' protobuf envelope (magic, TypeMeta, raw object) around arbitrary object bytes.</summary>
internal static class ProtobufEnvelope
{
    public static byte[] Wrap(string apiVersion, string kind, byte[] raw)
    {
        using var typeMeta = new MemoryStream();
        using (var output = new CodedOutputStream(typeMeta, leaveOpen: true))
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteString(apiVersion);
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteString(kind);
        }

        using var envelope = new MemoryStream();
        envelope.Write("k8s\0"u8);
        using (var output = new CodedOutputStream(envelope, leaveOpen: true))
        {
            output.WriteTag(1, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(typeMeta.ToArray()));
            output.WriteTag(2, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(raw));
        }

        return envelope.ToArray();
    }

    /// <summary>Random but well-framed protobuf: fields 1–10 of every wire type, messages nested a few levels, some lengths cut short.</summary>
    public static byte[] RandomMessage(Random random, int depth = 0)
    {
        using var stream = new MemoryStream();
        using (var output = new CodedOutputStream(stream, leaveOpen: true))
        {
            for (int i = random.Next(1, 8); i > 0; i--)
            {
                int field = random.Next(1, 11);
                switch (random.Next(5))
                {
                    case 0:
                        output.WriteTag(field, WireFormat.WireType.Varint);
                        output.WriteInt64(random.Next(4) == 0 ? long.MaxValue : random.Next(-5, 100));
                        break;
                    case 1:
                        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
                        output.WriteString(random.Next(3) == 0 ? "1e999999999" : "x");
                        break;
                    case 2 when depth < 4:
                        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
                        output.WriteBytes(ByteString.CopyFrom(RandomMessage(random, depth + 1)));
                        break;
                    case 3:
                        output.WriteTag(field, WireFormat.WireType.Fixed64);
                        output.WriteFixed64((ulong)random.NextInt64());
                        break;
                    default:
                        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
                        byte[] junk = new byte[random.Next(0, 20)];
                        random.NextBytes(junk);
                        output.WriteBytes(ByteString.CopyFrom(junk));
                        break;
                }
            }
        }

        byte[] bytes = stream.ToArray();
        return random.Next(6) == 0 && bytes.Length > 1 ? bytes[..random.Next(bytes.Length)] : bytes;
    }
}
