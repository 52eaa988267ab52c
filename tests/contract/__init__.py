# A package, so that this folder's conftest.py and test modules do not take the names of tests/'s own.
