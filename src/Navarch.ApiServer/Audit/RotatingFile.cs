using System.Globalization;

namespace Navarch.ApiServer.Audit;

/// <summary>
/// The audit log file with lumberjack's rotation, as kube-apiserver writes it: a write that would take the file past
/// <c>maxSize</c> first renames it to <c>NAME-yyyy-MM-ddTHH-mm-ss.fff.EXT</c> (UTC, the rotation time) and starts a new
/// one; an existing file is appended to unless the first write would fill it. After each rotation (and on opening)
/// old backups are removed: beyond the <c>maxBackups</c> newest by the time in their names, and older than
/// <c>maxAgeDays</c> days (0 keeps them). The directory is made 0700 and the file 0600 (kube-apiserver's
/// ensureLogFile); a rotated file keeps the mode of the old one. Not thread-safe: one writer owns it.
/// </summary>
internal sealed class RotatingFile(string path, long maxBytes, int maxBackups, int maxAgeDays, TimeProvider time) : IAuditLogFile
{
    /// <summary>lumberjack's backup time format, in .NET's notation.</summary>
    private const string BackupTimeFormat = "yyyy-MM-dd'T'HH-mm-ss.fff";

    private FileStream? _file;
    private long _size;

    /// <summary>The file being written.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    /// <summary>
    /// Makes the directory (0700) and the file (0600) if missing, as kube-apiserver does at start, so that a path it cannot
    /// write fails the start rather than every event.
    /// </summary>
    public void EnsureLogFile()
    {
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        using var file = new FileStream(Path, new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite });
    }

    /// <summary>Appends <paramref name="data"/>, rotating first if it would not fit; longer than a whole file is an error.</summary>
    public void Write(ReadOnlySpan<byte> data)
    {
        if (data.Length > maxBytes)
        {
            throw new IOException($"write length {data.Length} exceeds maximum file size {maxBytes}");
        }

        if (_file is null)
        {
            OpenExistingOrNew(data.Length);
        }

        if (_size + data.Length > maxBytes)
        {
            Rotate();
        }

        _file!.Write(data);
        _size += data.Length;
    }

    /// <summary>Hands what was written to the operating system.</summary>
    public void Flush() => _file?.Flush();

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }

    /// <summary>The name a backup made now gets: the time between the file's name and its extension.</summary>
    public string BackupName()
    {
        string ext = System.IO.Path.GetExtension(Path);
        string prefix = System.IO.Path.GetFileNameWithoutExtension(Path);
        return System.IO.Path.Combine(Directory, $"{prefix}-{time.GetUtcNow().UtcDateTime.ToString(BackupTimeFormat, CultureInfo.InvariantCulture)}{ext}");
    }

    private string Directory => System.IO.Path.GetDirectoryName(Path)!;

    private void OpenExistingOrNew(int writeLength)
    {
        Mill();
        var info = new FileInfo(Path);
        if (!info.Exists)
        {
            OpenNew();
            return;
        }

        if (info.Length + writeLength >= maxBytes)
        {
            Rotate();
            return;
        }

        _file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);
        _size = info.Length;
    }

    private void Rotate()
    {
        _file?.Dispose();
        _file = null;
        OpenNew();
        Mill();
    }

    private void OpenNew()
    {
        System.IO.Directory.CreateDirectory(Directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        if (File.Exists(Path))
        {
            mode = File.GetUnixFileMode(Path);
            File.Move(Path, BackupName(), overwrite: true);
        }

        _file = new FileStream(Path, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 64 * 1024, UnixCreateMode = mode });
        _size = 0;
    }

    /// <summary>Removes backups beyond the newest <c>maxBackups</c> and older than <c>maxAgeDays</c> (lumberjack's millRunOnce).</summary>
    private void Mill()
    {
        if ((maxBackups == 0 && maxAgeDays == 0) || !System.IO.Directory.Exists(Directory))
        {
            return;
        }

        string prefix = System.IO.Path.GetFileNameWithoutExtension(Path) + "-";
        string ext = System.IO.Path.GetExtension(Path);
        var backups = new List<(DateTime Time, string File)>();
        foreach (string file in System.IO.Directory.EnumerateFiles(Directory))
        {
            string name = System.IO.Path.GetFileName(file);
            if (name.Length > prefix.Length + ext.Length && name.StartsWith(prefix, StringComparison.Ordinal) && name.EndsWith(ext, StringComparison.Ordinal)
                && DateTime.TryParseExact(name[prefix.Length..^ext.Length], BackupTimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime stamp))
            {
                backups.Add((stamp, file));
            }
        }

        backups.Sort((a, b) => b.Time.CompareTo(a.Time));
        var remove = new List<string>();
        if (maxBackups > 0 && backups.Count > maxBackups)
        {
            remove.AddRange(backups.Skip(maxBackups).Select(b => b.File));
            backups.RemoveRange(maxBackups, backups.Count - maxBackups);
        }

        if (maxAgeDays > 0)
        {
            DateTime cutoff = time.GetUtcNow().UtcDateTime - TimeSpan.FromDays(maxAgeDays);
            remove.AddRange(backups.Where(b => b.Time < cutoff).Select(b => b.File));
        }

        foreach (string file in remove)
        {
            File.Delete(file);
        }
    }
}
