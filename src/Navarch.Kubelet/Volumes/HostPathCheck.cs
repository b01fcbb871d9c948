namespace Navarch.Kubelet.Volumes;

/// <summary>The hostPath volume's type checks (and the OrCreate types' creation), with the kubelet's messages.</summary>
internal static class HostPathCheck
{
    /// <summary>Checks <paramref name="path"/> against <paramref name="type"/> ("" or null checks nothing); throws <see cref="VolumeSetupException"/>.</summary>
    public static void Check(string path, string? type)
    {
        var info = new FileInfo(path);
        bool exists = info.Exists || Directory.Exists(path);
        switch (type ?? "")
        {
            case "":
                return;
            case "DirectoryOrCreate" when !exists:
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                return;
            case "DirectoryOrCreate":
            case "Directory":
                Require(Directory.Exists(path), path, "is not a directory");
                return;
            case "FileOrCreate" when !exists:
                // Like the kubelet, the parent folder is not created.
                if (!Directory.Exists(Path.GetDirectoryName(path)))
                {
                    throw new VolumeSetupException($"hostPath type check failed: {path} is not a file");
                }

                using (File.Create(path))
                {
                }

                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
                return;
            case "FileOrCreate":
            case "File":
                Require(File.Exists(path), path, "is not a file");
                return;
            case "Socket":
                Require(exists && Kind(path) == UnixFileKind.Socket, path, "is not a socket file");
                return;
            case "CharDevice":
                Require(exists && Kind(path) == UnixFileKind.CharacterDevice, path, "is not a character device");
                return;
            case "BlockDevice":
                Require(exists && Kind(path) == UnixFileKind.BlockDevice, path, "is not a block device");
                return;
            default:
                throw new VolumeSetupException($"hostPath type check failed: {path} is an invalid volume type");
        }
    }

    private static void Require(bool ok, string path, string what)
    {
        if (!ok)
        {
            throw new VolumeSetupException($"hostPath type check failed: {path} {what}");
        }
    }

    private enum UnixFileKind
    {
        Other,
        Socket,
        CharacterDevice,
        BlockDevice,
    }

    /// <summary>The file type from stat(2)'s st_mode (.NET reports sockets and devices as neither file nor folder).</summary>
    private static UnixFileKind Kind(string path) => (PosixFiles.StatMode(path) & 0xF000) switch
    {
        0xC000 => UnixFileKind.Socket,
        0x2000 => UnixFileKind.CharacterDevice,
        0x6000 => UnixFileKind.BlockDevice,
        _ => UnixFileKind.Other,
    };
}
