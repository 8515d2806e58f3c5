// File names that show no exposed list, for the red-team tests that read attachment names as
// shown fields (a message sent as one attachment, each attachment of a multipart message): each
// must keep passing.
export const ATTACHMENT_NAME_CONTROLS: Array<[string, string[]]> = [
  ['an ordinary file name', ['Content-Type: application/pdf; name="minutes.pdf"', 'Content-Disposition: attachment; filename="minutes.pdf"']],
  ['a vCard named for its one contact', ['Content-Type: text/vcard; name="a@alpha.example.vcf"', 'Content-Disposition: attachment; filename="a@alpha.example.vcf"']],
  ['a name with two addresses in prose', ['Content-Type: application/pdf', 'Content-Disposition: attachment; filename="contract between a@alpha.example and b@beta.example.pdf"']],
  ['colleagues named in the file', ['Content-Type: application/pdf', 'Content-Disposition: attachment; filename="notes joerg@corp.example, zoe@corp.example, max@corp.example.pdf"']],
];
