"""The size floor: the bytes of the files a started service really uses. ``trace`` starts the
service under fatrace and sums what it used (the method and its limits are told there),
``fatrace`` reads the trace and the kernel's process events, ``elf`` follows the dynamic loader."""
