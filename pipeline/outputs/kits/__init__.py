"""The writing kits under every output: new workbooks (XlsxWriter), their sheet XML, atomic writes, documents."""
