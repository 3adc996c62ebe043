{
  "targets": [
    {
      "target_name": "crifs_scan",
      "sources": ["native/scan.c", "native/link-index.c", "native/rename.c", "native/list.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "libraries": ["-lpthread"]
    },
    {
      "target_name": "crifs_copy",
      "sources": ["native/copy.c"],
      "cflags": ["-O2", "-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
