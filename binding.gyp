{
  "targets": [
    {
      "target_name": "tapwire_pcap",
      "sources": ["native/tapwire_pcap.c", "native/raw_ip.c"],
      "libraries": ["-lpcap"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
