// Shared mail domains the bundled provider lists (email-providers, HubSpot's free-mail list) do not
// name: every address at one is a different person, so each is a party of its own, nothing is
// inferred internal from a sender there, and none may be configured as internal or trusted.
//
// Curated by hand, not exhaustive: each entry is a domain whose mailboxes go to the public (not a
// company that also sells mail), checked against the operator's own help pages for its customer
// or relay addresses. Domains both a company's staff and its customers use (telia.com,
// vodafone.de) are left out: they would be refused as internal domains. The lists are matched on
// the address's domain, its registrable domain and every domain between (guest.booking.com covers
// x.guest.booking.com, never booking.com itself). tests/policy/classify.test.ts samples each group.

/** Mailbox providers and privacy or alias services for the public (issue 13 and an adversarial hunt). */
const MAILBOX_PROVIDERS = [
  'fastmail.com', 'fastmail.fm', 'posteo.de', 'posteo.net', 'tutanota.com', 'tutanota.de', 'tutamail.com',
  'tuta.io', 'tuta.com', 'keemail.me', 'mailfence.com', 'xs4all.nl', 'gmx.ch', 'gmx.li', 'gmx.us', 'gmx.es', 'gmx.it', 'gmx.co.uk',
  'zohomail.eu', 'zohomail.com', 'startmail.com', 'riseup.net', 'disroot.org', 'skiff.com', 'myyahoo.com', 'mailo.com',
  // Infomaniak's free mail (ik.me, etik.com, ikmail.com); Microsoft's Finnish consumer domain; Kakao Mail.
  'ik.me', 'etik.com', 'ikmail.com', 'live.fi', 'kakao.com',
  // Alias and relay services: Firefox Relay, SimpleLogin, addy.io (AnonAddy), Proton Pass.
  'mozmail.com', 'relay.firefox.com', 'simplelogin.com', 'simplelogin.co', 'simplelogin.fr', 'aleeas.com', 'slmail.me', 'anonaddy.me', 'anonaddy.com',
  'addy.io', 'passmail.net', 'passmail.com', 'passinbox.com',
  // AOL's and Yandex's country domains; Ukraine's meta.ua and the Czech atlas.cz portals' free mail.
  'aol.de', 'aol.fr', 'aol.es', 'aol.nl', 'aol.be', 'aol.ch', 'aol.at', 'aol.com.br',
  'yandex.com.tr', 'yandex.kz', 'yandex.by', 'meta.ua', 'atlas.cz',
];

/** Internet providers' customer mail. */
const ISP_MAIL = [
  // Nordics: Telenor (online.no), Broadpark, Lyse; Tele2/Com Hem, Bredband2, Bahnhof, Glocalnet; mail.dk,
  // Jubii, Telenor DK (get2net.dk), Stofa, TDC (post.tele.dk); Elisa (saunalahti.fi).
  'online.no', 'broadpark.no', 'start.no', 'frisurf.no', 'chello.no', 'lyse.net',
  'comhem.se', 'bredband.net', 'bahnhof.se', 'glocalnet.net',
  'mail.dk', 'jubii.dk', 'get2net.dk', 'stofanet.dk', 'post.tele.dk', 'youmail.dk', 'ofir.dk',
  'saunalahti.fi',
  // Japan: @nifty, KDDI au, BIGLOBE, NTT OCN, So-net, Plala, DION, ODN, Y!mobile, WAKWAK.
  'nifty.com', 'nifty.ne.jp', 'au.com', 'biglobe.ne.jp', 'ocn.ne.jp', 'so-net.ne.jp', 'plala.or.jp', 'dion.ne.jp', 'odn.ne.jp', 'ymobile.ne.jp', 'wakwak.com',
  // United States: Charter Spectrum, Comcast Xfinity.
  'spectrum.net', 'xfinity.com',
  // France: Bouygues (bbox.fr), SFR (numericable.fr, cegetel.net, noos.fr); Italy: TIM, Fastweb;
  // Switzerland: Sunrise, UPC (hispeed.ch), swissonline.ch; Austria: A1, UPC (chello.at);
  // Spain: Movistar, ONO; the Netherlands' XS4ALL is above.
  'bbox.fr', 'numericable.fr', 'cegetel.net', 'noos.fr', 'tim.it', 'fastwebnet.it',
  'sunrise.ch', 'hispeed.ch', 'swissonline.ch', 'a1.net', 'chello.at', 'movistar.es', 'ono.com',
  // Germany: O2 (o2online.de), Vodafone's customer mail, EWE TEL; Ireland: eir (iol.ie); Portugal:
  // NOS (netcabo.pt), Clix; Belgium: Proximus and its Scarlet brand.
  'o2online.de', 'vodafonemail.de', 'ewetel.net', 'iol.ie', 'netcabo.pt', 'clix.pt', 'proximus.be', 'scarlet.be',
];

/** Carriers' email-to-SMS/MMS gateways: every address is a phone number, so a person. */
const SMS_GATEWAYS = [
  'vtext.com', 'vzwpix.com', 'tmomail.net', 'txt.att.net', 'mms.att.net', 'messaging.sprintpcs.com', 'pm.sprint.com',
  'vmobl.com', 'mymetropcs.com', 'sms.myboostmobile.com', 'myboostmobile.com', 'msg.fi.google.com', 'text.republicwireless.com',
  'email.uscc.net', 'mms.uscc.net', 'mms.cricketwireless.net', 'sms.cricketwireless.net',
  'txt.bell.ca', 'pcs.rogers.com', 'msg.telus.com',
];

/** Platforms' per-person relay addresses (guest, buyer, member, host aliases; no-reply identities). */
const PERSON_RELAYS = [
  'guest.booking.com', 'guest.airbnb.com', 'marketplace.amazon.com', 'members.ebay.com', 'm.expediapartnercentral.com',
  'messages.vrbo.com', 'messages.homeaway.com', 'users.noreply.github.com', 'users.noreply.gitlab.com',
  'sale.craigslist.org', 'hous.craigslist.org', 'reply.craigslist.org',
];

export const SHARED_MAIL_DOMAINS: readonly string[] = [...MAILBOX_PROVIDERS, ...ISP_MAIL, ...SMS_GATEWAYS, ...PERSON_RELAYS];

/**
 * The big public webmail services: no organisation's staff write from these, so one configured as
 * an internal or trusted domain is always a mistake (customers there would count as colleagues)
 * and is refused. Only these and the lists above are refused: the bundled third-party lists also
 * hold domains that are companies' own (bt.com, sky.com, telstra.com, zoho.com), which those
 * companies must be able to configure.
 */
export const PUBLIC_WEBMAIL: readonly string[] = [
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'hotmail.co.uk', 'hotmail.fr', 'hotmail.de', 'hotmail.it', 'hotmail.es',
  'live.com', 'live.co.uk', 'live.fr', 'live.de', 'msn.com', 'yahoo.com', 'yahoo.co.uk', 'yahoo.fr', 'yahoo.de', 'yahoo.co.jp', 'ymail.com',
  'rocketmail.com', 'aol.com', 'icloud.com', 'me.com', 'mac.com', 'proton.me', 'protonmail.com', 'pm.me', 'gmx.de', 'gmx.net', 'gmx.at',
  'gmx.com', 'web.de', 'mail.com', 'mail.ru', 'yandex.ru', 'yandex.com', 'qq.com', '163.com', '126.com', 'naver.com', 'hanmail.net',
  'daum.net', 'libero.it', 'orange.fr', 'wanadoo.fr', 'free.fr', 'laposte.net', 't-online.de', 'freenet.de', 'seznam.cz', 'wp.pl',
  'o2.pl', 'interia.pl', 'onet.pl', 'rediffmail.com', 'btinternet.com', 'talktalk.net', 'comcast.net', 'verizon.net', 'att.net', 'sbcglobal.net',
  // The same services' country domains.
  'outlook.de', 'outlook.fr', 'outlook.es', 'outlook.it', 'outlook.jp', 'live.it', 'live.nl', 'hotmail.nl', 'hotmail.be', 'yahoo.es', 'yahoo.it',
  'yahoo.com.br', 'yahoo.ca', 'yahoo.in', 'yahoo.com.au', 'yandex.ua', 'yandex.kz', 'yandex.by', 'yandex.com.tr', 'aol.de', 'aol.fr', 'aol.co.uk',
];
