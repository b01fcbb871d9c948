using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Navarch.Api.Serialization;

/// <summary>
/// A growable buffer that writes protobuf's wire format front to back in one pass. A length-delimited value (a nested
/// message, a string) gets one byte for its length before its contents are written, and is moved up when the length
/// turns out to need more — so nothing is measured twice, and most values (under 128 bytes) are never moved.
/// </summary>
internal sealed class ProtobufWireBuffer : IDisposable
{
    private byte[] _buffer;
    private int _position;

    public ProtobufWireBuffer(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    /// <summary>Where the next byte goes.</summary>
    public int Position => _position;

    /// <summary>What was written so far.</summary>
    public ReadOnlyMemory<byte> Written => _buffer.AsMemory(0, _position);

    public byte[] ToArray() => _buffer.AsSpan(0, _position).ToArray();

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_position));
        _position += bytes.Length;
    }

    public void WriteTag(int number, int wireType) => WriteVarint((uint)(number << 3 | wireType));

    public void WriteVarint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[_position++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[_position++] = (byte)value;
    }

    public void WriteFixed32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_position), value);
        _position += 4;
    }

    public void WriteFixed64(ulong value)
    {
        Ensure(8);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(_position), value);
        _position += 8;
    }

    /// <summary>A length-prefixed byte string.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteVarint((ulong)bytes.Length);
        WriteRaw(bytes);
    }

    /// <summary>A length-prefixed UTF-8 string.</summary>
    public void WriteString(string value)
    {
        int start = BeginLength();
        Ensure(Encoding.UTF8.GetMaxByteCount(value.Length));
        _position += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_position));
        EndLength(start);
    }

    /// <summary>Starts a length-delimited value; <see cref="EndLength"/> with the position returned ends it.</summary>
    public int BeginLength()
    {
        Ensure(1);
        return _position++;
    }

    public void EndLength(int start)
    {
        int length = _position - start - 1;
        if (length < 0x80)
        {
            _buffer[start] = (byte)length;
            return;
        }

        int extra = VarintSize((uint)length) - 1;
        Ensure(extra);
        Buffer.BlockCopy(_buffer, start + 1, _buffer, start + 1 + extra, length);
        _position += extra;
        uint value = (uint)length;
        while (value >= 0x80)
        {
            _buffer[start++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[start] = (byte)value;
    }

    /// <summary>Drops what was written from <paramref name="position"/> on.</summary>
    public void Truncate(int position) => _position = position;

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _position = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int VarintSize(uint value) => value < 1 << 7 ? 1 : value < 1 << 14 ? 2 : value < 1 << 21 ? 3 : value < 1 << 28 ? 4 : 5;

    private void Ensure(int more)
    {
        if (_position + more <= _buffer.Length)
        {
            return;
        }

        byte[] grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _position + more));
        _buffer.AsSpan(0, _position).CopyTo(grown);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = grown;
    }
}
