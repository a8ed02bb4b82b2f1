// What broke: a password in an RTSP URL's query (`?user=admin&password=…`, as Dahua, Hikvision and XMEye
// take it) stayed in the stored URL, so the API returned it, and redact() left it in ffmpeg's stderr.
import { describe, expect, it } from "vitest";
import { separateCredentials } from "../../gateway/src/cameras/url-credentials.js";
import { urlWithCredentials } from "../../gateway/src/ffmpeg/ffmpeg-args.js";
import { redact } from "../../gateway/src/ffmpeg/redact.js";

const split: [string, string, ReturnType<typeof separateCredentials>][] = [
  [
    "userinfo",
    "rtsp://admin:p%40ss@192.0.2.10/stream1",
    { url: "rtsp://192.0.2.10/stream1", username: "admin", password: "p@ss" },
  ],
  [
    "Dahua query",
    "rtsp://192.0.2.10:554/cam/realmonitor?channel=1&subtype=0&user=admin&password=s3cr%26t",
    {
      url: "rtsp://192.0.2.10:554/cam/realmonitor?channel=1&subtype=0&user=&password=",
      username: "admin",
      password: "s3cr&t",
    },
  ],
  [
    "Hikvision query, names in any case",
    "rtsp://192.0.2.10/Streaming/Channels/101?transportmode=unicast&UserName=op&PassWord=x%2Fy",
    {
      url: "rtsp://192.0.2.10/Streaming/Channels/101?transportmode=unicast&UserName=&PassWord=",
      username: "op",
      password: "x/y",
    },
  ],
  [
    "Foscam usr/pwd",
    "rtsp://192.0.2.10:88/videoMain?usr=admin&pwd=hunter2",
    { url: "rtsp://192.0.2.10:88/videoMain?usr=&pwd=", username: "admin", password: "hunter2" },
  ],
  [
    "passwd and pass",
    "rtsp://192.0.2.10/live?passwd=one&pass=two",
    { url: "rtsp://192.0.2.10/live?passwd=&pass=", password: "one" },
  ],
  [
    "XMEye path parameters, empty default password",
    "rtsp://192.0.2.10:554/user=admin&password=&channel=1&stream=0.sdp?",
    { url: "rtsp://192.0.2.10:554/user=&password=&channel=1&stream=0.sdp?", username: "admin" },
  ],
  [
    "XMEye path parameters with a password",
    "rtsp://192.0.2.10:554/user=admin&password=tlJwpbo6&channel=1&stream=0.sdp",
    {
      url: "rtsp://192.0.2.10:554/user=&password=&channel=1&stream=0.sdp",
      username: "admin",
      password: "tlJwpbo6",
    },
  ],
  [
    "userinfo wins over a parameter",
    "rtsp://admin:first@192.0.2.10/x?password=second",
    { url: "rtsp://192.0.2.10/x?password=", username: "admin", password: "first" },
  ],
  [
    "look-alike names stay",
    "rtsp://192.0.2.10/x?passport=1&username_hint=2&userpass=3&mypassword=4",
    { url: "rtsp://192.0.2.10/x?passport=1&username_hint=2&userpass=3&mypassword=4" },
  ],
  ["no credentials", "rtsp://192.0.2.10/x?channel=1", { url: "rtsp://192.0.2.10/x?channel=1" }],
];

describe("separateCredentials", () => {
  it.each(split)("%s", (_name, raw, expected) => {
    expect(separateCredentials(raw)).toEqual(expected);
  });

  it.each(split)("%s: the stored URL holds no secret", (_name, raw, { password }) => {
    const { url } = separateCredentials(raw);
    if (password !== undefined) {
      expect(url).not.toContain(password);
      expect(url).not.toContain(encodeURIComponent(password));
    }
  });
});

describe("urlWithCredentials puts them back at spawn time", () => {
  it.each([
    [
      "rtsp://192.0.2.10:554/cam/realmonitor?channel=1&subtype=0&user=admin&password=s3cr%26t",
      "rtsp://admin:s3cr%26t@192.0.2.10:554/cam/realmonitor?channel=1&subtype=0&user=admin&password=s3cr%26t",
    ],
    [
      "rtsp://192.0.2.10:554/user=admin&password=tlJwpbo6&channel=1&stream=0.sdp",
      "rtsp://admin:tlJwpbo6@192.0.2.10:554/user=admin&password=tlJwpbo6&channel=1&stream=0.sdp",
    ],
    ["rtsp://admin:p%40ss@192.0.2.10/stream1", "rtsp://admin:p%40ss@192.0.2.10/stream1"],
  ])("%s", (raw, spawned) => {
    const s = separateCredentials(raw);
    expect(urlWithCredentials(s.url, s.username, s.password)).toBe(spawned);
  });

  it("fills an emptied parameter with a password given beside the URL", () => {
    expect(urlWithCredentials("rtsp://h/user=&password=&channel=1", "admin", "a&b")).toBe(
      "rtsp://admin:a%26b@h/user=admin&password=a%26b&channel=1",
    );
  });
});

describe("redact", () => {
  it.each([
    [
      "rtsp://127.0.0.1:8554/nope?user=admin&password=s3cr%40t: Server returned 404 Not Found",
      "rtsp://127.0.0.1:8554/nope?user=admin&password=***: Server returned 404 Not Found",
    ],
    [
      "rtsp://h/user=admin&password=tlJwpbo6&channel=1&stream=0.sdp: Connection refused",
      "rtsp://h/user=admin&password=***&channel=1&stream=0.sdp: Connection refused",
    ],
    ["rtsp://h/x?PWD=a:b&passwd=c#f", "rtsp://h/x?PWD=***&passwd=***#f"],
    ["rtsp://h/x?usr=admin&pwd=x", "rtsp://h/x?usr=admin&pwd=***"],
    ["rtsp://admin:hunter2@10.0.0.9:554/s: 401", "rtsp://admin:***@10.0.0.9:554/s: 401"],
    ["rtsp://h/x?user=admin&password=&channel=1", "rtsp://h/x?user=admin&password=&channel=1"],
    ["rtsp://h/x?passport=123", "rtsp://h/x?passport=123"],
  ])("%s", (text, clean) => {
    expect(redact(text)).toBe(clean);
  });
});
