using ARSoft.Tools.Net.Dns;

namespace Navarch.Dns;

/// <summary>What a question resolves to: the return code and the three record sections of the response.</summary>
internal sealed record DnsAnswer(
    ReturnCode Code,
    IReadOnlyList<DnsRecordBase> Answers,
    IReadOnlyList<DnsRecordBase> Authority,
    IReadOnlyList<DnsRecordBase> Additional,
    bool Authoritative)
{
    public static readonly DnsAnswer ServerFailure = new(ReturnCode.ServerFailure, [], [], [], Authoritative: false);

    public static readonly DnsAnswer Refused = new(ReturnCode.Refused, [], [], [], Authoritative: false);

    /// <summary>Whether this is a negative answer (NXDOMAIN, or NOERROR without records of the type asked: NODATA).</summary>
    public bool IsNegative => Code == ReturnCode.NxDomain || (Code == ReturnCode.NoError && Answers.Count == 0);
}
